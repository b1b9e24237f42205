import { useCallback, useEffect } from 'react';
import type { RippleApi } from '../../api/ripple-api';
import type { Realtime } from '../../api/socket';
import { newIdempotencyKey } from '../../api/idempotency-key';
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
  /** Schedules a tweet for `publishAt` (ISO); it joins `state.scheduled` once the server has it. */
  schedule: (text: string, publishAt: string) => void;
  cancelScheduled: (tweetId: string) => void;
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

  const loadScheduled = useCallback(() => {
    api.scheduledTweets().then(
      (tweets) => dispatch({ type: 'scheduled-loaded', tweets }),
      () => undefined, // the list keeps what it showed; the next connect reads it again
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
    loadScheduled();
    const unsubscribe = [
      realtime.on('fanout:progress', (event) => dispatch({ type: 'fanout-progress', event })),
      realtime.on('fanout:done', (event) => dispatch({ type: 'fanout-done', event })),
      realtime.on('fanout:failed', (event) => dispatch({ type: 'fanout-failed', event })),
      realtime.on('timeline:new', ({ tweet }) => dispatch({ type: 'tweet-arrived', tweet })),
      realtime.on('tweet:deleted', ({ tweetId }) => dispatch({ type: 'tweet-deleted', tweetId })),
      realtime.on('tweet:published', (event) => dispatch({ type: 'tweet-published', event })),
      // Whatever happened while the socket was away is read again; the reducer drops duplicates
      // and merges job states monotonically, so a stale answer never moves anything back.
      realtime.on('connect', () => {
        loadNewest();
        loadScheduled();
        refreshUnfinishedJobs();
      }),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [realtime, dispatch, loadNewest, loadScheduled, refreshUnfinishedJobs]);

  // Not optimistic, unlike a post: nothing shows until the server has checked publishAt. The
  // key makes the retry layer's repeats of one press answer one tweet.
  const schedule = useCallback(
    (text: string, publishAt: string) => {
      api.scheduleTweet(text, publishAt, newIdempotencyKey()).then(
        ({ tweet, job }) => dispatch({ type: 'tweet-scheduled', tweet, job }),
        (error: unknown) => dispatch({ type: 'schedule-failed', message: errorMessage(error) }),
      );
    },
    [api, dispatch],
  );

  const cancelScheduled = useCallback(
    (tweetId: string) => {
      api.cancelScheduled(tweetId).then(
        () => dispatch({ type: 'scheduled-cancelled', tweetId }),
        (error: unknown) => {
          // Published (or cancelled elsewhere) meanwhile: what the server lists now is the truth.
          dispatch({ type: 'schedule-failed', message: errorMessage(error) });
          loadScheduled();
        },
      );
    },
    [api, dispatch, loadScheduled],
  );

  const loadOlder = useCallback(() => {
    const { nextBefore: before, loadingOlder } = latest();
    if (before === null || loadingOlder) return;
    dispatch({ type: 'older-page-requested' });
    api.timeline({ before }).then(
      (page) => dispatch({ type: 'page-loaded', page, position: 'older' }),
      (error: unknown) => dispatch({ type: 'page-failed', message: errorMessage(error), position: 'older' }),
    );
  }, [api, dispatch, latest]);

  return { state, ...sending, ...deleting, loadOlder, schedule, cancelScheduled };
}
