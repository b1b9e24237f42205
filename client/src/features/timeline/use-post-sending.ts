import { useCallback, useEffect, useRef } from 'react';
import { ApiError } from '../../api/api-error';
import { newIdempotencyKey } from '../../api/idempotency-key';
import { isRetryable, type RetryEvent } from '../../api/retry';
import type { RippleApi } from '../../api/ripple-api';
import { retryNeedsNewKey } from './delivery';
import { errorMessage } from './error-message';
import type { PendingPost } from './outbox-store';
import type { TimelineAction } from './timeline-reducer';
import { ownPostOf, sendingPosts } from './timeline-selectors';
import type { RetryCause, TimelineState } from './timeline-state';

/** What the user can do with their own posts. */
export interface PostSending {
  /** Shows the tweet at once, then sends it. */
  post: (text: string) => void;
  retry: (localId: string) => void;
  /** Removes an own post and stops any send of it still under way. */
  discard: (localId: string) => void;
}

const causeOf = (error: ApiError): RetryCause => (error.status !== 0 ? 'busy' : error.code === 'timeout' ? 'no-answer' : 'offline');

/**
 * A 4xx that sending again cannot fix (the text is invalid, say): the post leaves the outbox.
 * 401 is not one: the post is fine, the session is not, and it goes out after the next sign-in.
 */
const isRefusedForGood = (error: unknown): boolean =>
  error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401 && !isRetryable(error);

/** Turns the retry layer's reports on one send into actions: trying now, or waiting and why. */
function reportRetries(dispatch: (action: TimelineAction) => void, localId: string) {
  return (event: RetryEvent): void => {
    if (event.kind === 'try') dispatch({ type: 'post-sending', localId });
    else if (event.kind === 'offline') dispatch({ type: 'post-waiting', localId, retry: { cause: 'offline', at: null } });
    else dispatch({ type: 'post-waiting', localId, retry: { cause: causeOf(event.error), at: Date.now() + event.delayMs } });
  };
}

const newPendingPost = (text: string): PendingPost => ({
  localId: `local-${newIdempotencyKey()}`,
  text,
  idempotencyKey: newIdempotencyKey(),
  createdAt: new Date().toISOString(),
});

/**
 * Sends the user's own posts and reports each step to the reducer, which holds everything
 * known about them. On mount it sends every post the state marks sending: at first, those
 * restored from the outbox, so a reload or an outage neither loses a post nor, since each goes
 * out under its own Idempotency-Key, makes a second one.
 */
export function usePostSending(api: RippleApi, dispatch: (action: TimelineAction) => void, latest: () => TimelineState): PostSending {
  // The AbortControllers of sends under way, by localId. They are handles for cancelling work,
  // not state: nothing is rendered from them, so they live here and not in the reducer. They
  // keep a second click before React re-renders from sending twice, and let Discard (or leaving
  // the page) abort a send with its pending retries.
  const sends = useRef(new Map<string, AbortController>());

  const send = useCallback(
    (post: PendingPost) => {
      const { localId } = post;
      if (sends.current.has(localId)) return;
      const controller = new AbortController();
      sends.current.set(localId, controller);
      api
        .postTweet(post.text, post.idempotencyKey, { signal: controller.signal, onRetry: reportRetries(dispatch, localId) })
        .then(
          ({ tweet, job }) => dispatch({ type: 'post-accepted', localId, tweet, job }),
          (error: unknown) => {
            if (controller.signal.aborted) return; // discarded, or the page is going away
            dispatch({ type: 'post-rejected', localId, message: errorMessage(error), forGood: isRefusedForGood(error) });
          },
        )
        .finally(() => {
          if (sends.current.get(localId) === controller) sends.current.delete(localId);
        });
    },
    [api, dispatch],
  );

  // The one place that deals with React's development check (StrictMode mounts, unmounts and
  // mounts again). Unmounting aborts every send; mounting sends every post still marked
  // sending. So the second mount sends again exactly what the first one aborted, and a post is
  // never out twice at once nor left unsent. The state itself survives the remount untouched.
  useEffect(() => {
    sendingPosts(latest()).forEach(send);
    const inFlight = sends.current;
    return () => {
      for (const controller of inFlight.values()) controller.abort();
      inFlight.clear();
    };
  }, [latest, send]);

  const post = useCallback(
    (text: string) => {
      const pending = newPendingPost(text);
      dispatch({ type: 'post-started', ...pending });
      send(pending);
    },
    [dispatch, send],
  );

  const retry = useCallback(
    (localId: string) => {
      const own = ownPostOf(latest(), localId);
      if (!own || sends.current.has(localId)) return;
      const idempotencyKey = retryNeedsNewKey(own) ? newIdempotencyKey() : own.idempotencyKey;
      dispatch({ type: 'post-retried', localId, idempotencyKey });
      send({ localId, text: own.text, idempotencyKey, createdAt: own.createdAt });
    },
    [dispatch, latest, send],
  );

  const discard = useCallback(
    (localId: string) => {
      sends.current.get(localId)?.abort();
      sends.current.delete(localId);
      dispatch({ type: 'post-discarded', localId });
    },
    [dispatch],
  );

  return { post, retry, discard };
}
