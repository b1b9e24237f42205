import type { Tweet, TweetPublished } from '@ripple/shared';
import { withJob } from './job-progress';
import { entryTweetId, knownTweetIds } from './timeline-selectors';
import type { TimelineEntry, TimelineState } from './timeline-state';

const soonestFirst = (a: Tweet, b: Tweet): number => (a.publishAt ?? '').localeCompare(b.publishAt ?? '') || a.id.localeCompare(b.id);

/**
 * The scheduled list from `tweets`. From the server (`fromServer`), the list is the truth, with
 * two exceptions for answers that crossed an event on the way: a tweet already in the timeline
 * was published meanwhile and stays out, and one scheduled here that is still ahead and not in
 * the answer was scheduled after the request went out and stays in.
 */
export function withScheduled(state: TimelineState, tweets: Tweet[], fromServer = true): TimelineState {
  const published = knownTweetIds(state.entries);
  const listed = new Set(tweets.map((t) => t.id));
  const now = new Date().toISOString();
  const kept = fromServer ? state.scheduled.filter((t) => !listed.has(t.id) && (t.publishAt ?? '') > now) : [];
  const byId = new Map([...tweets, ...kept].filter((t) => !published.has(t.id)).map((t) => [t.id, t]));
  return { ...state, scheduled: [...byId.values()].sort(soonestFirst) };
}

/**
 * A scheduled tweet of this user was published: it leaves the list and takes its place in the
 * timeline as an own post, with its job queued, so that its delivery shows as any post's does.
 * Its id sorts at its publish time, so it goes where that id belongs. A tweet this page never
 * saw scheduled (another tab's) comes with the next load of the timeline.
 */
export function publishScheduled(state: TimelineState, { tweetId, jobId, total, delivery }: TweetPublished): TimelineState {
  const scheduled = state.scheduled.find((t) => t.id === tweetId);
  if (!scheduled || knownTweetIds(state.entries).has(tweetId)) return { ...state, scheduled: state.scheduled.filter((t) => t.id !== tweetId) };
  const tweet: Tweet = { id: scheduled.id, text: scheduled.text, createdAt: scheduled.createdAt, author: scheduled.author };
  const entry: TimelineEntry = {
    kind: 'own',
    post: {
      localId: `scheduled-${tweetId}`,
      text: tweet.text,
      createdAt: tweet.createdAt,
      idempotencyKey: '',
      send: 'accepted',
      sendError: null,
      retry: null,
      refusedForGood: false,
      tweet,
      jobId,
    },
  };
  const entries = [...state.entries];
  const at = entries.findIndex((e) => {
    const id = entryTweetId(e);
    return id !== null && id < tweetId;
  });
  entries.splice(at === -1 ? entries.length : at, 0, entry);
  const next = { ...state, entries, scheduled: state.scheduled.filter((t) => t.id !== tweetId) };
  return withJob(next, { jobId, status: 'queued', delivered: 0, total, error: null, delivery });
}
