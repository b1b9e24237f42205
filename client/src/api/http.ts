import { z } from 'zod';
import { ERROR_STATUS, parseRetryAfter, type ErrorCode } from '@ripple/shared';
import { ApiError } from './api-error';
import type { RetryEvent } from './retry';

export { ApiError } from './api-error';
export type { ApiErrorCode } from './api-error';

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /**
   * Prepended to every path.
   * @defaultValue `''` (same origin)
   */
  baseUrl?: string;
  /**
   * The fetch to use; tests pass a fake.
   * @defaultValue the global `fetch`
   */
  fetch?: FetchFn;
  /** The bearer token to send, read on every request; null sends none. */
  getToken?: () => string | null;
  /** Called when a request that carried a token answers 401: the session is no longer valid. */
  onUnauthorized?: () => void;
}

export interface RequestOptions<T> {
  /** @defaultValue `'GET'` */
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as JSON when present. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Validates the success body: the client trusts nothing it did not check. */
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Told of every try and every wait between tries when the `Http` retries (`withRetry`). */
  onRetry?: (event: RetryEvent) => void;
}

/**
 * One JSON request → one parsed answer or one ApiError. There is no retry here on purpose:
 * `withRetry(http, policy)` in `retry.ts` wraps an `Http` and decides from
 * `ApiError.status`/`retryAfter`; POST /api/tweets carries an Idempotency-Key, so it is safe
 * to repeat.
 */
export interface Http {
  request<T>(path: string, options: RequestOptions<T>): Promise<T>;
}

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_STATUS, code);

export { parseRetryAfter };

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Creates the typed fetch wrapper every API call goes through. */
export function createHttp(options: HttpOptions = {}): Http {
  const baseUrl = options.baseUrl ?? '';
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(path: string, req: RequestOptions<T>): Promise<T> {
    const token = options.getToken?.() ?? null;
    const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token !== null) headers.Authorization = `Bearer ${token}`;

    let response: Response;
    try {
      response = await fetchFn(`${baseUrl}${path}`, {
        method: req.method ?? 'GET',
        headers,
        body: req.body === undefined ? null : JSON.stringify(req.body),
        signal: req.signal ?? null,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.', null, {
        cause,
      });
    }

    const body = parseJson(await response.text().catch(() => ''));

    if (!response.ok) {
      const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      const parsed = errorBodySchema.safeParse(body);
      if (response.status === 401 && token !== null) options.onUnauthorized?.();
      if (parsed.success) {
        const { code, message } = parsed.data.error;
        throw new ApiError(response.status, isErrorCode(code) ? code : 'bad_response', message, retryAfter);
      }
      throw new ApiError(response.status, 'bad_response', `The server answered ${response.status} ${response.statusText}`.trim() + '.', retryAfter);
    }

    const parsed = req.schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(response.status, 'bad_response', 'The server sent an answer this page does not understand.', null, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  return { request };
}
