import { abortableSleep, abortReason, BACKOFF_BASE_MS, BACKOFF_CAP_MS, fullJitterDelayMs } from '@ripple/shared';
import { ApiError } from './api-error';
import type { Http, RequestOptions } from './http';

/** How hard one request is tried before its last error is let through to the UI. */
export interface RetryPolicy {
  /**
   * Tries of one request, the first one included. Waiting for the browser to come back online
   * is not a try, and neither is one that failed because the network went away during it.
   * With the default backoff and no `Retry-After`, 8 tries wait at most
   * 0.5 + 1 + 2 + 4 + 8 + 16 + 30 s ≈ 62 s in all before giving up.
   * @defaultValue 8
   */
  maxAttempts?: number;
  /**
   * The backoff bound of the first wait; it doubles with each further wait up to `maxDelayMs`.
   * @defaultValue 500
   */
  baseDelayMs?: number;
  /**
   * The largest backoff bound. Does not shorten a server's `Retry-After`, which is honoured as given.
   * @defaultValue 30_000
   */
  maxDelayMs?: number;
  /**
   * A try with no answer after this long is abandoned (its fetch aborted) and counts as failed.
   * @defaultValue 15_000
   */
  timeoutMs?: number;
  /**
   * A number in [0, 1) for the jitter; tests pass a fixed one.
   * @defaultValue `Math.random`
   */
  random?: () => number;
  /**
   * Waits `ms`, rejecting with the signal's reason if it aborts first.
   * @defaultValue {@link sleep}, built on the global `setTimeout` (so fake timers drive it)
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Whether the browser believes it has a network.
   * @defaultValue `navigator.onLine !== false`
   */
  isOnline?: () => boolean;
  /**
   * Resolves once the browser is back online, rejecting with the signal's reason if it aborts first.
   * @defaultValue {@link waitUntilOnline}: the window's `online` event
   */
  waitUntilOnline?: (signal?: AbortSignal) => Promise<void>;
}

/** What a retried request tells its caller while it is at work, so a UI can show the truth. */
export type RetryEvent =
  /** Try number `attempt` (1-based) is being sent. */
  | { kind: 'try'; attempt: number }
  /** Try number `attempt` failed with `error`; the next one is sent after `delayMs`. */
  | { kind: 'wait'; attempt: number; delayMs: number; error: ApiError }
  /** The browser is offline: try number `attempt` waits for the `online` event. */
  | { kind: 'offline'; attempt: number };

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export const sleep = abortableSleep;

export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_BASE_DELAY_MS = BACKOFF_BASE_MS;
export const DEFAULT_MAX_DELAY_MS = BACKOFF_CAP_MS;
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Statuses that mean "not now" rather than "no": 429 and 503 are the server's back pressure
 * (nothing was written); 502 and 504 are a proxy in front of a server that is restarting.
 */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Whether trying the same request again later may succeed: back pressure, no answer, or a timeout. */
export function isRetryable(error: unknown): error is ApiError {
  if (!(error instanceof ApiError)) return false;
  return error.status === 0 || RETRYABLE_STATUSES.has(error.status);
}

/**
 * Whether a request may be sent more than once: GET and DELETE are idempotent, and a POST
 * carrying an `Idempotency-Key` is answered with its first result on a repeat. Anything else
 * (sign-in, sign-up, the demo endpoints) goes through once, untouched.
 */
export function isSafeToRepeat(req: Pick<RequestOptions<unknown>, 'method' | 'headers'>): boolean {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'DELETE') return true;
  return Object.keys(req.headers ?? {}).some((name) => name.toLowerCase() === 'idempotency-key');
}

/** The policy's backoff (full jitter, see `fullJitterDelayMs`) before wait number `retry`, from 0. */
export function backoffDelayMs(retry: number, policy: RetryPolicy = {}): number {
  return fullJitterDelayMs(retry, policy.random ?? Math.random, policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
}

/** The wait before another try: the server's `Retry-After` when it gave one, backoff otherwise. */
export function requestRetryDelayMs(error: ApiError, retry: number, policy: RetryPolicy = {}): number {
  return error.retryAfter !== null ? error.retryAfter * 1000 : backoffDelayMs(retry, policy);
}

/** Resolves at the window's next `online` event (at once where there is no window). */
export function waitUntilOnline(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    if (typeof window === 'undefined') return resolve();
    const onOnline = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      window.removeEventListener('online', onOnline);
      reject(abortReason(signal!));
    };
    window.addEventListener('online', onOnline, { once: true });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const browserIsOnline = (): boolean => typeof navigator === 'undefined' || navigator.onLine !== false;

/**
 * Wraps an `Http` so that requests safe to repeat ride out back pressure and flaky networks:
 * each try gets a timeout; a retryable failure waits `Retry-After` or a jittered backoff and
 * tries again with the very same headers (so the same `Idempotency-Key`); while the browser
 * is offline no try is spent. After `maxAttempts` tries the last error is thrown; any other
 * error is thrown at once, and an aborted `signal` stops everything with its reason.
 */
export function withRetry(http: Http, policy: RetryPolicy = {}): Http {
  const maxAttempts = Math.max(1, policy.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const wait = policy.sleep ?? sleep;
  const isOnline = policy.isOnline ?? browserIsOnline;
  const untilOnline = policy.waitUntilOnline ?? waitUntilOnline;

  /** One try: the caller's abort and the timeout both end it, whether or not the fetch listens. */
  function tryOnce<T>(path: string, req: RequestOptions<T>): Promise<T> {
    const outer = req.signal;
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        controller.abort(abortReason(outer!));
        reject(abortReason(outer!));
      };
      const timer = setTimeout(() => {
        reject(new ApiError(0, 'timeout', 'The server did not answer in time.'));
        controller.abort(new DOMException('The try timed out', 'TimeoutError'));
      }, timeoutMs);
      outer?.addEventListener('abort', onAbort, { once: true });
      http
        .request(path, { ...req, signal: controller.signal })
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer);
          outer?.removeEventListener('abort', onAbort);
        });
    });
  }

  async function request<T>(path: string, req: RequestOptions<T>): Promise<T> {
    if (!isSafeToRepeat(req)) return http.request(path, req);
    const { onRetry, signal, ...rest } = req;
    // One copy of the headers for every try: the Idempotency-Key must never change between them.
    const once: RequestOptions<T> = { ...rest, headers: { ...req.headers }, ...(signal ? { signal } : {}) };
    let failed = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (!isOnline()) {
        onRetry?.({ kind: 'offline', attempt: failed + 1 });
        await untilOnline(signal);
      }
      onRetry?.({ kind: 'try', attempt: failed + 1 });
      try {
        return await tryOnce(path, once);
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        if (!isRetryable(error)) throw error;
        // The network went away under this try: not the server's fault, so not a try spent.
        if (error.status === 0 && !isOnline()) continue;
        failed += 1;
        if (failed >= maxAttempts) throw error;
        const delayMs = requestRetryDelayMs(error, failed - 1, policy);
        onRetry?.({ kind: 'wait', attempt: failed, delayMs, error });
        await wait(delayMs, signal);
      }
    }
  }

  return { request };
}
