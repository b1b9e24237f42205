import { useCallback, useEffect } from 'react';
import type { RippleApi } from '../../api/ripple-api';
import type { Realtime } from '../../api/socket';
import { useLatestReducer } from '../../hooks/use-latest-reducer';
import { errorMessage } from './error-message';
import type { OutboxStore } from './outbox-store';
import { timelineReducer } from './timeline-reducer';
import { restoredTimelineState } from './timeline-entries';
import { outboxPosts, unfinishedJobIds } from './timeline-selectors';
import type { TimelineState } from './timeline-state';
import { usePostSending, type PostSending } from './use-post-sending';
import { useTweetDeleting, type TweetDeleting } from './use-tweet-deleting';

/** The home timeline as the page sees it: what it shows, and what the user can do with it. */
export interface Timeline extends PostSending, TweetDeleting {
  state: TimelineState;
  loadOlder: () => void;
}

/**
 * Owns the home timeline: loads it, posts optimistically, and folds every socket event into
 * the reducer, which is where all ordering and de-duplication rules live, and the one place
 * that holds the state of the user's own posts.
 *
 * Posts not yet accepted are kept in `outbox` (when given): it is read once, as the timeline
 * starts, and written from the state whenever that changes (`outboxPosts`).
 */
export function useHomeTimeline(api: RippleApi, realtime: Realtime, outbox?: OutboxStore): Timeline {
  const [state, dispatch, latest] = useLatestReducer(timelineReducer, () => restoredTimelineState(outbox?.load() ?? []));
  const sending = usePostSending(api, dispatch, latest);
  const deleting = useTweetDeleting(api, dispatch);

  useEffect(() => outbox?.save(outboxPosts(state.entries)), [outbox, state.entries]);

  const loadNewest = useCallback(() => {
    api.timeline().then(
      (page) => dispatch({ type: 'page-loaded', page, position: 'newest' }),
      (error: unknown) => dispatch({ type: 'page-failed', message: errorMessage(error), position: 'newest' }),
    );
  }, [api, dispatch]);

  // A fanout:done (or failed) sent while the socket was away is lost; the job itself is not.
  const refreshUnfinishedJobs = useCallback(() => {
    for (const jobId of unfinishedJobIds(latest())) {
      api.job(jobId).then(
        (job) => dispatch({ type: 'job-loaded', job }),
        () => undefined, // the next event or reconnect brings it; the status line keeps its last truth
      );
    }
  }, [api, dispatch, latest]);

  useEffect(() => {
    loadNewest();
    const unsubscribe = [
      realtime.on('fanout:progress', (event) => dispatch({ type: 'fanout-progress', event })),
      realtime.on('fanout:done', (event) => dispatch({ type: 'fanout-done', event })),
      realtime.on('fanout:failed', (event) => dispatch({ type: 'fanout-failed', event })),
      realtime.on('timeline:new', ({ tweet }) => dispatch({ type: 'tweet-arrived', tweet })),
      realtime.on('tweet:deleted', ({ tweetId }) => dispatch({ type: 'tweet-deleted', tweetId })),
      // Whatever happened while the socket was away is read again; the reducer drops duplicates
      // and merges job states monotonically, so a stale answer never moves anything back.
      realtime.on('connect', () => {
        loadNewest();
        refreshUnfinishedJobs();
      }),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [realtime, dispatch, loadNewest, refreshUnfinishedJobs]);

  const loadOlder = useCallback(() => {
    const { nextBefore: before, loadingOlder } = latest();
    if (before === null || loadingOlder) return;
    dispatch({ type: 'older-page-requested' });
    api.timeline({ before }).then(
      (page) => dispatch({ type: 'page-loaded', page, position: 'older' }),
      (error: unknown) => dispatch({ type: 'page-failed', message: errorMessage(error), position: 'older' }),
    );
  }, [api, dispatch, latest]);

  return { state, ...sending, ...deleting, loadOlder };
}
