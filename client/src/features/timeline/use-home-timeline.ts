import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { ApiError } from '../../api/api-error';
import { newIdempotencyKey } from '../../api/idempotency-key';
import { isRetryable, type RetryEvent } from '../../api/retry';
import type { RippleApi } from '../../api/ripple-api';
import type { Realtime } from '../../api/socket';
import type { OutboxStore, PendingPost } from './outbox-store';
import { retryNeedsNewKey } from './delivery';
import { timelineReducer } from './timeline-reducer';
import { unfinishedJobIds } from './timeline-selectors';
import { initialTimelineState, type RetryCause, type TimelineState } from './timeline-state';

export interface HomeTimeline {
  state: TimelineState;
  /** Why the last page load failed; null when it did not. */
  loadError: string | null;
  loadingOlder: boolean;
  /** Shows the tweet at once, then sends it. */
  post(text: string): void;
  retry(localId: string): void;
  /** Removes an own post and stops any send of it still under way. */
  discard(localId: string): void;
  loadOlder(): void;
}

const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';

const causeOf = (error: ApiError): RetryCause =>
  error.status !== 0 ? 'busy' : error.code === 'timeout' ? 'no-answer' : 'offline';

/**
 * A 4xx that sending again cannot fix (the text is invalid, say): the post leaves the outbox.
 * 401 is not one: the post is fine, the session is not, and it goes out after the next sign-in.
 */
const isRefusedForGood = (error: unknown): boolean =>
  error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401 && !isRetryable(error);

/**
 * Owns the home timeline: loads it, posts optimistically, and folds every socket event into
 * the reducer, which is where all ordering and de-duplication rules live.
 *
 * Posts not yet accepted are kept in `outbox` (when given) from the moment their send starts;
 * on mount they are shown again and resent under their own Idempotency-Keys, so a reload or an
 * outage neither loses a post nor, should the server already have it, makes a second one.
 */
export function useHomeTimeline(api: RippleApi, realtime: Realtime, outbox?: OutboxStore): HomeTimeline {
  const [state, dispatch] = useReducer(timelineReducer, initialTimelineState);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const loadingOlderRef = useRef(false);
  // Retry needs the post's current key and text from event handlers, not a stale render.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  }, [state]);

  const loadNewest = useCallback(() => {
    api.timeline().then(
      (page) => {
        setLoadError(null);
        dispatch({ type: 'page-loaded', page, position: 'newest' });
      },
      (error: unknown) => setLoadError(messageOf(error)),
    );
  }, [api]);

  // A fanout:done (or failed) sent while the socket was away is lost; the job itself is not.
  const refreshUnfinishedJobs = useCallback(() => {
    for (const jobId of unfinishedJobIds(stateRef.current)) {
      api.job(jobId).then(
        (job) => dispatch({ type: 'job-loaded', job }),
        () => undefined, // the next event or reconnect brings it; the status line keeps its last truth
      );
    }
  }, [api]);

  useEffect(() => {
    loadNewest();
    const unsubscribe = [
      realtime.on('fanout:progress', (event) => dispatch({ type: 'fanout-progress', event })),
      realtime.on('fanout:done', (event) => dispatch({ type: 'fanout-done', event })),
      realtime.on('fanout:failed', (event) => dispatch({ type: 'fanout-failed', event })),
      realtime.on('timeline:new', ({ tweet }) => dispatch({ type: 'tweet-arrived', tweet })),
      // Whatever happened while the socket was away is read again; the reducer drops duplicates
      // and merges job states monotonically, so a stale answer never moves anything back.
      realtime.on('connect', () => {
        loadNewest();
        refreshUnfinishedJobs();
      }),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [realtime, loadNewest, refreshUnfinishedJobs]);

  // Sends under way, by localId: a second click before React re-renders must not send twice,
  // and Discard (or leaving the page) aborts the send with its pending retries.
  const sends = useRef(new Map<string, AbortController>());

  const send = useCallback(
    (post: PendingPost) => {
      const { localId } = post;
      if (sends.current.has(localId)) return;
      const controller = new AbortController();
      sends.current.set(localId, controller);
      outbox?.put(post);

      const onRetry = (event: RetryEvent): void => {
        if (event.kind === 'try') dispatch({ type: 'post-sending', localId });
        else if (event.kind === 'offline') dispatch({ type: 'post-waiting', localId, retry: { cause: 'offline', at: null } });
        else {
          const retry = { cause: causeOf(event.error), at: Date.now() + event.delayMs };
          dispatch({ type: 'post-waiting', localId, retry });
        }
      };

      api
        .postTweet(post.text, post.idempotencyKey, { signal: controller.signal, onRetry })
        .then(
          ({ tweet, job }) => {
            outbox?.remove(localId);
            dispatch({ type: 'post-accepted', localId, tweet, job });
          },
          (error: unknown) => {
            if (controller.signal.aborted) return; // discarded, or the page is going away
            if (isRefusedForGood(error)) outbox?.remove(localId);
            dispatch({ type: 'post-rejected', localId, message: messageOf(error) });
          },
        )
        .finally(() => {
          if (sends.current.get(localId) === controller) sends.current.delete(localId);
        });
    },
    [api, outbox],
  );

  // Posts a reload or an outage interrupted come back at the top and go out again. Unmounting
  // aborts every send; a second mount (React's development check) restores and resends them.
  useEffect(() => {
    const pending = outbox?.load() ?? [];
    if (pending.length > 0) dispatch({ type: 'posts-restored', posts: pending });
    pending.forEach(send);
    const inFlight = sends.current;
    return () => {
      for (const controller of inFlight.values()) controller.abort();
      inFlight.clear();
    };
  }, [outbox, send]);

  const post = useCallback(
    (text: string) => {
      const pending: PendingPost = {
        localId: `local-${newIdempotencyKey()}`,
        text,
        idempotencyKey: newIdempotencyKey(),
        createdAt: new Date().toISOString(),
      };
      dispatch({ type: 'post-started', ...pending });
      send(pending);
    },
    [send],
  );

  const retry = useCallback(
    (localId: string) => {
      const entry = stateRef.current.entries.find((e) => e.kind === 'own' && e.post.localId === localId);
      if (!entry || entry.kind !== 'own' || sends.current.has(localId)) return;
      const { post: own } = entry;
      const idempotencyKey = retryNeedsNewKey(own) ? newIdempotencyKey() : own.idempotencyKey;
      dispatch({ type: 'post-retried', localId, idempotencyKey });
      send({ localId, text: own.text, idempotencyKey, createdAt: own.createdAt });
    },
    [send],
  );

  const discard = useCallback(
    (localId: string) => {
      sends.current.get(localId)?.abort();
      sends.current.delete(localId);
      outbox?.remove(localId);
      dispatch({ type: 'post-discarded', localId });
    },
    [outbox],
  );

  const loadOlder = useCallback(() => {
    const before = stateRef.current.nextBefore;
    if (before === null || loadingOlderRef.current) return;
    loadingOlderRef.current = true;
    setLoadingOlder(true);
    api
      .timeline({ before })
      .then(
        (page) => {
          setLoadError(null);
          dispatch({ type: 'page-loaded', page, position: 'older' });
        },
        (error: unknown) => setLoadError(messageOf(error)),
      )
      .finally(() => {
        loadingOlderRef.current = false;
        setLoadingOlder(false);
      });
  }, [api]);

  return { state, loadError, loadingOlder, post, retry, discard, loadOlder };
}
