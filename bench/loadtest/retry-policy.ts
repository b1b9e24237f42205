import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, fullJitterDelayMs } from '@ripple/shared';

/** How often and how patiently one request is tried again. */
export interface RetryPolicy {
  /**
   * Tries of one request, the first included.
   * @defaultValue 8
   */
  maxTries?: number;
  /**
   * Bound of the first backoff wait; doubles each wait up to `maxDelayMs`.
   * @defaultValue 500
   */
  baseDelayMs?: number;
  /**
   * Largest backoff bound. A server's `Retry-After` is honoured as given, even when longer.
   * @defaultValue 30_000
   */
  maxDelayMs?: number;
}

export const DEFAULT_MAX_TRIES = 8;
export const DEFAULT_BASE_DELAY_MS = BACKOFF_BASE_MS;
export const DEFAULT_MAX_DELAY_MS = BACKOFF_CAP_MS;

/** The same backoff as the browser client's (full jitter, see `fullJitterDelayMs`). */
export function backoffDelayMs(retry: number, random: () => number, policy: RetryPolicy = {}): number {
  return fullJitterDelayMs(retry, random, policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
}
