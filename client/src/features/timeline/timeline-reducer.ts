import type { FanoutDone, FanoutFailed, FanoutProgress, Job, Tweet, TweetPage, TweetPublished } from '@ripple/shared';
import { progressOf, withJob } from './job-progress';
import { deletionAccepted, deletionFailed, deletionStarted, hiddenTweetIds, tweetGone } from './timeline-deletions';
import { publishScheduled, withScheduled } from './scheduled-entries';
import { mergeTweets, sendingPost, updatePost } from './timeline-entries';
import { knownTweetIds } from './timeline-selectors';
import type { PendingRetry, TimelineState } from './timeline-state';

type PagePosition = 'newest' | 'older';

export type TimelineAction =
  | { type: 'older-page-requested' }
  | { type: 'page-loaded'; page: TweetPage; position: PagePosition }
  | { type: 'page-failed'; message: string; position: PagePosition }
  | { type: 'post-started'; localId: string; text: string; idempotencyKey: string; createdAt: string }
  | { type: 'post-waiting'; localId: string; retry: PendingRetry }
  | { type: 'post-sending'; localId: string }
  | { type: 'post-accepted'; localId: string; tweet: Tweet; job: Job }
  /** `forGood`: sending again cannot help (see `OwnPost.refusedForGood`). */
  | { type: 'post-rejected'; localId: string; message: string; forGood: boolean }
  | { type: 'post-retried'; localId: string; idempotencyKey: string }
  | { type: 'post-discarded'; localId: string }
  | { type: 'fanout-progress'; event: FanoutProgress }
  | { type: 'fanout-done'; event: FanoutDone }
  | { type: 'fanout-failed'; event: FanoutFailed }
  | { type: 'job-loaded'; job: Job }
  | { type: 'tweet-arrived'; tweet: Tweet }
  | { type: 'delete-started'; tweetId: string }
  | { type: 'delete-accepted'; tweetId: string; job: Job }
  | { type: 'delete-failed'; tweetId: string; message: string }
  /** tweet:deleted, or a delete answered 404 (deleted already, elsewhere). */
  | { type: 'tweet-deleted'; tweetId: string }
  /** GET /api/me/scheduled answered. */
  | { type: 'scheduled-loaded'; tweets: Tweet[] }
  | { type: 'tweet-scheduled'; tweet: Tweet; job: Job }
  | { type: 'schedule-failed'; message: string }
  | { type: 'scheduled-cancelled'; tweetId: string }
  | { type: 'tweet-published'; event: TweetPublished };

/** The home timeline and the delivery of the user's own tweets, as one pure state machine. */
export function timelineReducer(state: TimelineState, action: TimelineAction): TimelineState {
  switch (action.type) {
    case 'older-page-requested':
      return { ...state, loadingOlder: true };
    case 'page-loaded':
      return pageLoaded(state, action);
    case 'page-failed':
      return { ...state, loadError: action.message, loadingOlder: action.position === 'older' ? false : state.loadingOlder };

    case 'post-started':
      return { ...state, entries: [{ kind: 'own', post: sendingPost(action) }, ...state.entries] };
    case 'post-waiting':
      return updatePost(state, action.localId, (post) => (post.send === 'sending' ? { ...post, retry: action.retry } : post));
    case 'post-sending':
      return updatePost(state, action.localId, (post) => (post.send === 'sending' && post.retry !== null ? { ...post, retry: null } : post));
    case 'post-accepted':
      return postAccepted(state, action);
    case 'post-rejected':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' ? { ...post, send: 'failed', sendError: action.message, retry: null, refusedForGood: action.forGood } : post,
      );
    case 'post-retried':
      return updatePost(state, action.localId, (post) => ({ ...sendingPost(post), idempotencyKey: action.idempotencyKey }));
    case 'post-discarded':
      return { ...state, entries: state.entries.filter((e) => e.kind !== 'own' || e.post.localId !== action.localId) };

    case 'fanout-progress': {
      const { jobId, delivered, total } = action.event;
      return withJob(state, { jobId, status: 'running', delivered, total, error: null });
    }
    case 'fanout-done': {
      const { jobId, delivered, total, skipped } = action.event;
      return withJob(state, { jobId, status: 'done', delivered, total, error: null, skipped });
    }
    case 'fanout-failed': {
      const { jobId, error } = action.event;
      return withJob(state, { jobId, status: 'failed', delivered: 0, total: 0, error });
    }
    case 'job-loaded':
      return withJob(state, progressOf(action.job));

    case 'tweet-arrived':
      if (knownTweetIds(state.entries).has(action.tweet.id) || hiddenTweetIds(state).has(action.tweet.id)) return state;
      return { ...state, entries: [{ kind: 'tweet', tweet: action.tweet, arrived: true }, ...state.entries] };

    case 'delete-started':
      return deletionStarted(state, action.tweetId);
    case 'delete-accepted':
      return deletionAccepted(state, action.tweetId, action.job);
    case 'delete-failed':
      return deletionFailed(state, action.tweetId, action.message);
    case 'tweet-deleted':
      return tweetGone(state, action.tweetId);
    case 'scheduled-loaded':
      return withScheduled(state, action.tweets);
    case 'tweet-scheduled':
      return withJob({ ...withScheduled(state, [...state.scheduled, action.tweet], false), scheduleError: null }, progressOf(action.job));
    case 'schedule-failed':
      return { ...state, scheduleError: action.message };
    case 'scheduled-cancelled':
      return { ...state, scheduled: state.scheduled.filter((t) => t.id !== action.tweetId), scheduleError: null };
    case 'tweet-published':
      return publishScheduled(state, action.event);
  }
}

type ActionOf<T extends TimelineAction['type']> = Extract<TimelineAction, { type: T }>;

function pageLoaded(state: TimelineState, { page, position }: ActionOf<'page-loaded'>): TimelineState {
  // A page read before a delete landed may still hold the tweet.
  const hidden = hiddenTweetIds(state);
  const entries = mergeTweets(
    state.entries,
    page.tweets.filter((t) => !hidden.has(t.id)),
  );
  // A refetch of the newest page (on reconnect) must not forget how far back we already read.
  const nextBefore = position === 'older' || !state.loaded ? page.nextBefore : state.nextBefore;
  const loadingOlder = position === 'older' ? false : state.loadingOlder;
  return { ...state, entries, nextBefore, loaded: true, loadingOlder, loadError: null };
}

function postAccepted(state: TimelineState, { localId, tweet, job }: ActionOf<'post-accepted'>): TimelineState {
  const target = state.entries.find((e) => e.kind === 'own' && e.post.localId === localId);
  if (!target || target.kind !== 'own' || target.post.send !== 'sending') return state;
  // The same tweet may already be shown from a refetch; the optimistic entry takes its place.
  const entries = state.entries.filter((e) => e.kind !== 'tweet' || e.tweet.id !== tweet.id);
  const accepted = updatePost({ ...state, entries }, localId, (post) => ({
    ...post,
    send: 'accepted',
    retry: null,
    tweet,
    jobId: job.id,
  }));
  return withJob(accepted, progressOf(job));
}
