/** Every error code of the HTTP contract, with the status it answers. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  handle_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  rate_limited: 429,
  internal: 500,
  overloaded: 503,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one shape of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}
