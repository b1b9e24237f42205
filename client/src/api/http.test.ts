import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { fakeFetch, jsonResponse, makeJob } from '../test/fakes';
import { ApiError, createHttp, parseRetryAfter, type FetchFn } from './http';
import { createRippleApi } from './ripple-api';

const okSchema = z.object({ ok: z.boolean() });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createHttp', () => {
  it('sends JSON with the bearer token to the base URL and parses the answer', async () => {
    const fetch = vi.fn<FetchFn>(async () => jsonResponse(200, { ok: true }));
    const http = createHttp({ baseUrl: 'http://api.test', fetch, getToken: () => 'tok' });
    await expect(http.request('/x', { method: 'POST', body: { a: 1 }, schema: okSchema })).resolves.toEqual({ ok: true });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://api.test/x');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"a":1}');
    expect(init.headers).toMatchObject({ Authorization: 'Bearer tok', 'Content-Type': 'application/json' });
  });

  it('turns an error body into an ApiError with status, code, message and Retry-After', async () => {
    const fetch: FetchFn = async () => jsonResponse(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'Retry-After': '7' });
    const error = await failure(createHttp({ fetch }).request('/x', { schema: okSchema }));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: 'Slow down.', retryAfter: 7 });
  });

  it('reports an answer that is not the error shape without losing its status', async () => {
    const fetch: FetchFn = async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const error = await failure(createHttp({ fetch }).request('/x', { schema: okSchema }));
    expect(error).toMatchObject({ status: 502, code: 'bad_response', retryAfter: null });
  });

  it('reports no answer at all as a network error with status 0', async () => {
    const fetch: FetchFn = async () => {
      throw new TypeError('Failed to fetch');
    };
    const error = await failure(createHttp({ fetch }).request('/x', { schema: okSchema }));
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('rejects a success body that does not match the schema', async () => {
    const fetch: FetchFn = async () => jsonResponse(200, { ok: 'yes' });
    expect((await failure(createHttp({ fetch }).request('/x', { schema: okSchema }))).code).toBe('bad_response');
  });

  it('signs out on 401 only when a token was sent', async () => {
    const fetch: FetchFn = async () => jsonResponse(401, { error: { code: 'unauthorized', message: 'expired' } });
    const onUnauthorized = vi.fn();
    await failure(createHttp({ fetch, onUnauthorized, getToken: () => null }).request('/x', { schema: okSchema }));
    expect(onUnauthorized).not.toHaveBeenCalled();
    await failure(createHttp({ fetch, onUnauthorized, getToken: () => 'tok' }).request('/x', { schema: okSchema }));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('12')).toBe(12);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:30 GMT', Date.parse('2025-01-01T00:00:00Z'))).toBe(30);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('createRippleApi', () => {
  it('posts a tweet with its Idempotency-Key', async () => {
    const server = fakeFetch();
    const api = createRippleApi(createHttp({ fetch: server.fetch, getToken: () => 'tok' }));
    void api.postTweet('hi', 'key-123').catch(() => undefined);
    await Promise.resolve();
    const [call] = server.callsTo('POST', '/api/tweets');
    expect(call?.headers['Idempotency-Key']).toBe('key-123');
    expect(call?.body).toEqual({ text: 'hi' });
  });

  it('reads one job by id', async () => {
    const server = fakeFetch();
    const api = createRippleApi(createHttp({ fetch: server.fetch, getToken: () => 'tok' }));
    const job = api.job('job-1');
    await Promise.resolve();
    server.answer('GET', '/api/jobs/job-1', 200, { job: makeJob({ status: 'done', delivered: 10 }) });
    await expect(job).resolves.toMatchObject({ id: 'job-1', status: 'done', delivered: 10 });
  });

  it('escapes the handle in the unfollow path', async () => {
    const server = fakeFetch();
    const api = createRippleApi(createHttp({ fetch: server.fetch }));
    void api.unfollow('a/b').catch(() => undefined);
    await Promise.resolve();
    expect(server.calls[0]).toMatchObject({ method: 'DELETE', path: '/api/follows/a%2Fb' });
  });
});
