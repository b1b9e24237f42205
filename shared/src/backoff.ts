/**
 * How every Ripple client waits when the server says "not now" (503 overloaded/unavailable,
 * 429): the browser client and the load tester share this, so the load tester behaves like
 * real users.
 */

/** First backoff ceiling when the server gave no Retry-After. */
export const BACKOFF_BASE_MS = 500;
/** Longest backoff ceiling. */
export const BACKOFF_CAP_MS = 30_000;

/** Reads `Retry-After` as seconds; it may be delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(cap, base · 2^retry)), where
 * `retry` counts waits from 0. Full jitter spreads the clients a busy server turned away, so
 * they do not come back in step.
 */
export function fullJitterDelayMs(retry: number, random: () => number = Math.random, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  return random() * Math.min(capMs, baseMs * 2 ** retry);
}

/** Why a signal aborted: its reason, or a standard AbortError. */
export const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new DOMException('Aborted', 'AbortError');

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
