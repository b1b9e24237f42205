import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { ApiError } from '../../api/api-error';
import { newIdempotencyKey } from '../../api/idempotency-key';
import type { RippleApi } from '../../api/ripple-api';
import type { Realtime } from '../../api/socket';
import { initialTimelineState, retryNeedsNewKey, timelineReducer, type TimelineState } from './timeline-reducer';

export interface HomeTimeline {
  state: TimelineState;
  /** Why the last page load failed; null when it did not. */
  loadError: string | null;
  loadingOlder: boolean;
  /** Shows the tweet at once, then sends it. */
  post(text: string): void;
  retry(localId: string): void;
  discard(localId: string): void;
  loadOlder(): void;
}

const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';

/**
 * Owns the home timeline: loads it, posts optimistically, and folds every socket event into
 * the reducer, which is where all ordering and de-duplication rules live.
 */
export function useHomeTimeline(api: RippleApi, realtime: Realtime): HomeTimeline {
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

  useEffect(() => {
    loadNewest();
    const unsubscribe = [
      realtime.on('fanout:progress', (event) => dispatch({ type: 'fanout-progress', event })),
      realtime.on('fanout:done', (event) => dispatch({ type: 'fanout-done', event })),
      realtime.on('fanout:failed', (event) => dispatch({ type: 'fanout-failed', event })),
      realtime.on('timeline:new', ({ tweet }) => dispatch({ type: 'tweet-arrived', tweet })),
      // Whatever landed while the socket was away is fetched again; the reducer drops duplicates.
      realtime.on('connect', loadNewest),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [realtime, loadNewest]);

  // Posts whose POST is in flight: a second click before React re-renders must not send twice.
  const sending = useRef(new Set<string>());

  const send = useCallback(
    (localId: string, text: string, idempotencyKey: string) => {
      sending.current.add(localId);
      api
        .postTweet(text, idempotencyKey)
        .then(
          ({ tweet, job }) => dispatch({ type: 'post-accepted', localId, tweet, job }),
          (error: unknown) => dispatch({ type: 'post-rejected', localId, message: messageOf(error) }),
        )
        .finally(() => sending.current.delete(localId));
    },
    [api],
  );

  const post = useCallback(
    (text: string) => {
      const localId = `local-${newIdempotencyKey()}`;
      const idempotencyKey = newIdempotencyKey();
      dispatch({ type: 'post-started', localId, text, idempotencyKey, createdAt: new Date().toISOString() });
      send(localId, text, idempotencyKey);
    },
    [send],
  );

  const retry = useCallback(
    (localId: string) => {
      const entry = stateRef.current.entries.find((e) => e.kind === 'own' && e.post.localId === localId);
      if (!entry || entry.kind !== 'own' || sending.current.has(localId)) return;
      const { post: own } = entry;
      const idempotencyKey = retryNeedsNewKey(own) ? newIdempotencyKey() : own.idempotencyKey;
      dispatch({ type: 'post-retried', localId, idempotencyKey });
      send(localId, own.text, idempotencyKey);
    },
    [send],
  );

  const discard = useCallback((localId: string) => dispatch({ type: 'post-discarded', localId }), []);

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
