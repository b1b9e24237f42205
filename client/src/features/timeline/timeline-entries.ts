import type { Tweet } from '@ripple/shared';
import type { PendingPost } from './outbox-store';
import { entryTweetId, knownTweetIds } from './timeline-selectors';
import { initialTimelineState, type OwnPost, type TimelineEntry, type TimelineState } from './timeline-state';

/**
 * Puts server tweets the timeline does not hold yet where their ids belong, without moving
 * anything already shown. Ids sort in creation order as strings; an entry without an id is
 * still sending, hence newer than anything the server knows.
 */
export function mergeTweets(entries: TimelineEntry[], tweets: Tweet[]): TimelineEntry[] {
  const known = knownTweetIds(entries);
  const merged = [...entries];
  for (const tweet of tweets) {
    if (known.has(tweet.id)) continue;
    known.add(tweet.id);
    const at = merged.findIndex((entry) => {
      const id = entryTweetId(entry);
      return id !== null && id < tweet.id;
    });
    const entry: TimelineEntry = { kind: 'tweet', tweet, arrived: false };
    if (at === -1) merged.push(entry);
    else merged.splice(at, 0, entry);
  }
  return merged;
}

/** An own post whose send is starting, or starting again after a reload. */
export function sendingPost(post: PendingPost): OwnPost {
  return {
    localId: post.localId,
    text: post.text,
    createdAt: post.createdAt,
    idempotencyKey: post.idempotencyKey,
    send: 'sending',
    sendError: null,
    retry: null,
    refusedForGood: false,
    tweet: null,
    jobId: null,
  };
}

/**
 * The timeline a visit starts from: the posts its outbox still holds, at the top, newest
 * first, each about to be sent again.
 */
export function restoredTimelineState(posts: PendingPost[]): TimelineState {
  const entries = [...posts]
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
    .map((post): TimelineEntry => ({ kind: 'own', post: sendingPost(post) }));
  return { ...initialTimelineState, entries };
}

/** The state with one own post changed; the same state when `update` changes nothing. */
export function updatePost(state: TimelineState, localId: string, update: (post: OwnPost) => OwnPost): TimelineState {
  let changed = false;
  const entries = state.entries.map((entry): TimelineEntry => {
    if (entry.kind !== 'own' || entry.post.localId !== localId) return entry;
    const post = update(entry.post);
    if (post === entry.post) return entry;
    changed = true;
    return { kind: 'own', post };
  });
  return changed ? { ...state, entries } : state;
}
