import type { FanoutDone, FanoutFailed, FanoutProgress, Job, Tweet, TweetPage } from '@ripple/shared';
import { progressOf, withJob } from './job-progress';
import type { PendingPost } from './outbox-store';
import { mergeTweets, sendingPost, updatePost } from './timeline-entries';
import { knownTweetIds } from './timeline-selectors';
import type { PendingRetry, TimelineEntry, TimelineState } from './timeline-state';

export type TimelineAction =
  | { type: 'page-loaded'; page: TweetPage; position: 'newest' | 'older' }
  | { type: 'post-started'; localId: string; text: string; idempotencyKey: string; createdAt: string }
  | { type: 'posts-restored'; posts: PendingPost[] }
  | { type: 'post-waiting'; localId: string; retry: PendingRetry }
  | { type: 'post-sending'; localId: string }
  | { type: 'post-accepted'; localId: string; tweet: Tweet; job: Job }
  | { type: 'post-rejected'; localId: string; message: string }
  | { type: 'post-retried'; localId: string; idempotencyKey: string }
  | { type: 'post-discarded'; localId: string }
  | { type: 'fanout-progress'; event: FanoutProgress }
  | { type: 'fanout-done'; event: FanoutDone }
  | { type: 'fanout-failed'; event: FanoutFailed }
  | { type: 'job-loaded'; job: Job }
  | { type: 'tweet-arrived'; tweet: Tweet };

/** The home timeline and the delivery of the user's own tweets, as one pure state machine. */
export function timelineReducer(state: TimelineState, action: TimelineAction): TimelineState {
  switch (action.type) {
    case 'page-loaded': {
      const entries = mergeTweets(state.entries, action.page.tweets);
      // A refetch of the newest page (on reconnect) must not forget how far back we already read.
      const nextBefore = action.position === 'older' || !state.loaded ? action.page.nextBefore : state.nextBefore;
      return { ...state, entries, nextBefore, loaded: true };
    }

    case 'post-started':
      return { ...state, entries: [{ kind: 'own', post: sendingPost(action) }, ...state.entries] };

    case 'posts-restored': {
      // Restoring twice (React runs mount effects twice in development) must not show a post twice.
      const known = new Set(state.entries.flatMap((e) => (e.kind === 'own' ? [e.post.localId] : [])));
      const restored = action.posts
        .filter((p) => !known.has(p.localId))
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
        .map((p): TimelineEntry => ({ kind: 'own', post: sendingPost(p) }));
      return restored.length === 0 ? state : { ...state, entries: [...restored, ...state.entries] };
    }

    case 'post-waiting':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' ? { ...post, retry: action.retry } : post,
      );

    case 'post-sending':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' && post.retry !== null ? { ...post, retry: null } : post,
      );

    case 'post-accepted': {
      const { localId, tweet, job } = action;
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

    case 'post-rejected':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' ? { ...post, send: 'failed', sendError: action.message, retry: null } : post,
      );

    case 'post-retried':
      return updatePost(state, action.localId, (post) => ({
        ...post,
        idempotencyKey: action.idempotencyKey,
        send: 'sending',
        sendError: null,
        retry: null,
        tweet: null,
        jobId: null,
      }));

    case 'post-discarded':
      return {
        ...state,
        entries: state.entries.filter((e) => e.kind !== 'own' || e.post.localId !== action.localId),
      };

    case 'fanout-progress': {
      const { jobId, delivered, total } = action.event;
      return withJob(state, { jobId, status: 'running', delivered, total, error: null });
    }

    case 'fanout-done': {
      const { jobId, delivered, total } = action.event;
      return withJob(state, { jobId, status: 'done', delivered, total, error: null });
    }

    case 'fanout-failed': {
      const { jobId, error } = action.event;
      return withJob(state, { jobId, status: 'failed', delivered: 0, total: 0, error });
    }

    case 'job-loaded':
      return withJob(state, progressOf(action.job));

    case 'tweet-arrived': {
      if (knownTweetIds(state.entries).has(action.tweet.id)) return state;
      return { ...state, entries: [{ kind: 'tweet', tweet: action.tweet, arrived: true }, ...state.entries] };
    }
  }
}
