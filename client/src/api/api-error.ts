import type { ErrorCode } from '@ripple/shared';

/**
 * Codes the client adds to the server's own: `network_error` when no answer arrived at all,
 * `timeout` when none arrived in time (see `withRetry`), `bad_response` when an answer
 * arrived but did not match the contract.
 */
export type ApiErrorCode = ErrorCode | 'network_error' | 'timeout' | 'bad_response';

/** A request that did not succeed, whether the server said so or never answered. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Seconds to wait before trying again (`Retry-After`), or null when the server gave none. */
    readonly retryAfter: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
