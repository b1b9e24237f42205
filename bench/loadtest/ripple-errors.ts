/** How a request to Ripple can fail, as the load tester tells the cases apart. */

/** An answer other than success, with the contract's error code when the body had one. */
export class RippleHttpError extends Error {
  override name = 'RippleHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** `Retry-After` in seconds, when the answer had one. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
  }
}

/** No answer at all: refused connection, reset, DNS failure, or the per-try timeout. */
export class RippleNetworkError extends Error {
  override name = 'RippleNetworkError';
}

/** Ripple cannot be driven at the given URL; the message is the one line the CLI prints. */
export class RippleUnreachableError extends Error {
  override name = 'RippleUnreachableError';
}

/** The statuses of Ripple's back pressure: 429 rate_limited and 503 (overloaded, or Redis unavailable). */
export type RefusalStatus = 429 | 503;
export type RippleRefusal = RippleHttpError & { readonly status: RefusalStatus };

/** 429 and 503 are Ripple's back pressure: "not now", and nothing was written. */
export const isRefusal = (error: unknown): error is RippleRefusal => error instanceof RippleHttpError && (error.status === 429 || error.status === 503);

/** Failures after which the same request may succeed: refusals, no answer, a restarting proxy. */
export const isRetryable = (error: unknown): boolean =>
  isRefusal(error) || error instanceof RippleNetworkError || (error instanceof RippleHttpError && (error.status === 502 || error.status === 504));
