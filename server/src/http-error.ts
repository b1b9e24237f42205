import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@ripple/shared';
import { isRedisUnavailable, type Logger } from '@ripple/shared/node';

/** The one error type routes throw; the error handler turns it into the contract's shape. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

const body = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } });

/**
 * Errors from Express and body-parser: they carry a `type` or a 4xx `status`, each mapping to
 * one contract code. Anything else with a 4xx status (a URL that does not decode, a body that
 * does not decompress) is the client's mistake, never a 500.
 */
function fromFramework(err: { type?: unknown; status?: unknown; statusCode?: unknown; code?: unknown }): HttpError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError('payload_too_large', 'request body is over 16 KiB');
    case 'entity.parse.failed':
      return new HttpError('invalid_request', 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('unsupported_media_type', 'request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError('invalid_request', 'request body could not be read');
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new HttpError('invalid_request', 'request body could not be decompressed');
  }
  const status = Number(err.status ?? err.statusCode);
  if (status === 413) return new HttpError('payload_too_large', 'request body is over 16 KiB');
  if (status === 415) return new HttpError('unsupported_media_type', 'request body must be JSON');
  if (status >= 400 && status < 500) return new HttpError('invalid_request', 'the request could not be read (malformed URL or body)');
  return null;
}

export const notFound: RequestHandler = (req) => {
  throw new HttpError('not_found', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`);
};

/**
 * Turns anything thrown into the contract's error shape. Known errors keep their code; Redis
 * outages become 503 unavailable; anything else is logged and answered as a bland 500 with no
 * detail, since a stack trace must never reach a client.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // Already answered (e.g. by the request deadline): nothing more to tell the client.
    if (res.headersSent) {
      log.debug({ err: String(err), path: req.path }, 'error after the response was sent');
      if (!res.writableEnded) next(err);
      return;
    }
    let known = err instanceof HttpError ? err : fromFramework(err ?? {});
    if (!known && isRedisUnavailable(err)) {
      known = new HttpError('unavailable', 'storage is unreachable right now; try again shortly', { 'Retry-After': '2' });
    }
    if (known) {
      res.status(known.status).set(known.headers).json(body(known.code, known.message));
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unexpected error');
    res.status(500).json(body('internal', 'something went wrong on our side'));
  };
}
