import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { jsonResponse, makeJob, makeTweet } from '../test/fakes';
import { ApiError } from './api-error';
import { createHttp, type FetchFn } from './http';
import { backoffDelayMs, DEFAULT_MAX_ATTEMPTS, withRetry, type RetryEvent, type RetryPolicy } from './retry';
import { createRippleApi } from './ripple-api';

const okSchema = z.object({ ok: z.boolean() });
const ok = () => jsonResponse(200, { ok: true });
const busy = (retryAfter?: number, message = 'Ripple is busy.') =>
  jsonResponse(503, { error: { code: 'overloaded', message } }, retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
const offline = () => Promise.reject(new TypeError('Failed to fetch'));

/** A fetch that plays the given answers in order, one per call. */
function scriptedFetch(...answers: Array<() => Response | Promise<Response>>) {
  return vi.fn<FetchFn>(async () => {
    const next = answers.shift();
    if (!next) throw new Error('no answer scripted for this call');
    return next();
  });
}

function setup(fetch: FetchFn, policy: RetryPolicy = {}) {
  const events: RetryEvent[] = [];
  const http = withRetry(createHttp({ fetch, getToken: () => 'tok' }), { random: () => 0.5, ...policy });
  const get = (signal?: AbortSignal) => http.request('/x', { schema: okSchema, onRetry: (event) => events.push(event), ...(signal ? { signal } : {}) });
  return { http, get, events, waits: () => events.filter((e) => e.kind === 'wait') };
}

/** Lets a promise settle without making it an unhandled rejection. */
function settle<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('withRetry', () => {
  it('waits exactly the Retry-After seconds of a 503 before trying again', async () => {
    const fetch = scriptedFetch(() => busy(3), ok);
    const { get, waits } = setup(fetch);
    const result = settle(get());

    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(waits()).toEqual([expect.objectContaining({ attempt: 1, delayMs: 3000 })]);

    await vi.advanceTimersByTimeAsync(2999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });

  it('honours Retry-After on a 429 too', async () => {
    const fetch = scriptedFetch(() => jsonResponse(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'Retry-After': '2' }), ok);
    const { get, waits } = setup(fetch);
    const result = settle(get());
    await vi.advanceTimersByTimeAsync(1999);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(waits()[0]).toMatchObject({ delayMs: 2000, error: { status: 429, code: 'rate_limited' } });
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });

  it('without Retry-After waits a fully jittered exponential backoff, capped at 30 s', async () => {
    const fetch = scriptedFetch(...Array.from({ length: 7 }, () => () => busy()), ok);
    const { get, waits } = setup(fetch, { random: () => 0.99 });
    const result = settle(get());
    await vi.runAllTimersAsync();
    expect(result).toMatchObject({ done: true, value: { ok: true } });
    // 0.99 × min(30 000, 500 × 2^n) for n = 0..6
    expect(waits().map((w) => (w.kind === 'wait' ? w.delayMs : -1))).toEqual([495, 990, 1980, 3960, 7920, 15840, 29700]);
  });

  it('does not send the next try before its jittered delay has passed', async () => {
    const fetch = scriptedFetch(
      () => busy(),
      () => busy(),
      ok,
    );
    const { get } = setup(fetch, { random: () => 0.75 });
    settle(get());
    await vi.advanceTimersByTimeAsync(374); // first wait: 0.75 × 500 = 375 ms
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(749); // second wait: 0.75 × 1000 = 750 ms
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('gives up after the bound of tries and throws the last error', async () => {
    let n = 0;
    const fetch = vi.fn<FetchFn>(async () => busy(undefined, `busy #${++n}`));
    const { get, waits } = setup(fetch);
    const result = settle(get());
    await vi.runAllTimersAsync();
    expect(fetch).toHaveBeenCalledTimes(DEFAULT_MAX_ATTEMPTS);
    expect(DEFAULT_MAX_ATTEMPTS).toBe(8);
    expect(waits()).toHaveLength(DEFAULT_MAX_ATTEMPTS - 1);
    expect(result.error).toBeInstanceOf(ApiError);
    expect(result.error).toMatchObject({ status: 503, code: 'overloaded', message: `busy #${DEFAULT_MAX_ATTEMPTS}` });
  });

  it('takes a smaller bound from the policy', async () => {
    const fetch = vi.fn<FetchFn>(async () => busy(1));
    const { get } = setup(fetch, { maxAttempts: 3 });
    const result = settle(get());
    await vi.runAllTimersAsync();
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(result.error).toMatchObject({ status: 503 });
  });

  it('sends the same Idempotency-Key and body on every try of one post', async () => {
    const fetch = scriptedFetch(
      () => busy(1),
      offline,
      () => jsonResponse(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'Retry-After': '1' }),
      () => jsonResponse(202, { tweet: makeTweet('000000000010', 'me', 'hi'), job: makeJob() }),
    );
    const api = createRippleApi(withRetry(createHttp({ fetch, getToken: () => 'tok' }), { random: () => 0 }));
    const result = settle(api.postTweet('hi', 'key-123'));
    await vi.runAllTimersAsync();
    expect(result).toMatchObject({ done: true, value: { tweet: { id: '000000000010' } } });
    expect(fetch).toHaveBeenCalledTimes(4);
    for (const [url, init] of fetch.mock.calls) {
      expect(url).toBe('/api/tweets');
      expect((init.headers as Record<string, string>)['Idempotency-Key']).toBe('key-123');
      expect(init.body).toBe('{"text":"hi"}');
    }
  });

  it('retries a request that got no answer, with backoff', async () => {
    const fetch = scriptedFetch(offline, ok);
    const { get, waits } = setup(fetch, { random: () => 0.5 });
    const result = settle(get());
    await vi.advanceTimersByTimeAsync(0);
    expect(waits()).toEqual([expect.objectContaining({ delayMs: 250, error: expect.objectContaining({ code: 'network_error' }) })]);
    await vi.advanceTimersByTimeAsync(250);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });

  it('abandons a try that does not answer within the timeout, aborts its fetch, and tries again', async () => {
    const signals: AbortSignal[] = [];
    const fetch = vi.fn<FetchFn>((_url, init) => {
      signals.push(init.signal!);
      return signals.length === 1 ? new Promise<Response>(() => undefined) : Promise.resolve(ok());
    });
    const { get, waits } = setup(fetch, { timeoutMs: 15_000, random: () => 0.5 });
    const result = settle(get());
    await vi.advanceTimersByTimeAsync(14_999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(waits()[0]).toMatchObject({ delayMs: 250, error: { status: 0, code: 'timeout' } });
    await vi.advanceTimersByTimeAsync(250);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });

  it('does not retry a 400, nor a 500', async () => {
    for (const [status, code] of [
      [400, 'invalid_request'],
      [500, 'internal'],
    ] as const) {
      const fetch = vi.fn<FetchFn>(async () => jsonResponse(status, { error: { code, message: 'no' } }));
      const { get, events } = setup(fetch);
      const result = settle(get());
      await vi.runAllTimersAsync();
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(result.error).toMatchObject({ status });
      expect(events.filter((e) => e.kind === 'wait')).toEqual([]);
    }
  });

  it('sends a POST without an Idempotency-Key (such as sign-in) once, whatever the answer', async () => {
    const fetch = vi.fn<FetchFn>(async () => busy(1));
    const api = createRippleApi(withRetry(createHttp({ fetch })));
    const result = settle(api.signIn({ handle: 'alice', password: 'password123' }));
    await vi.runAllTimersAsync();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(result.error).toMatchObject({ status: 503 });
  });

  it('stops retrying when aborted during a wait, and rejects with the abort', async () => {
    const fetch = vi.fn<FetchFn>(async () => busy(5));
    const { get } = setup(fetch);
    const controller = new AbortController();
    const result = settle(get(controller.signal));
    await vi.advanceTimersByTimeAsync(2000);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(result.done).toBe(true);
    expect((result.error as Error).name).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('stops when aborted while a try is out, even if the fetch ignores the signal', async () => {
    const fetch = vi.fn<FetchFn>(() => new Promise<Response>(() => undefined));
    const { get } = setup(fetch);
    const controller = new AbortController();
    const result = settle(get(controller.signal));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect((result.error as Error).name).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('spends no tries while the browser is offline, and sends when it is back online', async () => {
    let online = false;
    const fetch = scriptedFetch(ok);
    const { get, events } = setup(fetch, { isOnline: () => online });
    const result = settle(get());
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(fetch).not.toHaveBeenCalled();
    expect(events).toEqual([{ kind: 'offline', attempt: 1 }]);

    online = true;
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });

  it('does not count a try the network dropped under, but waits for it to come back', async () => {
    let online = true;
    const fetch = scriptedFetch(() => {
      online = false;
      return offline();
    }, ok);
    const { get, events } = setup(fetch, { isOnline: () => online, maxAttempts: 1 });
    const result = settle(get());
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.map((e) => e.kind)).toEqual(['try', 'offline']);
    online = true;
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toMatchObject({ done: true, value: { ok: true } });
  });
});

describe('backoffDelayMs', () => {
  it('stays within [0, min(cap, base · 2^n)] for any random value', () => {
    for (let n = 0; n < 12; n++) {
      const bound = Math.min(30_000, 500 * 2 ** n);
      expect(backoffDelayMs(n, { random: () => 0 })).toBe(0);
      for (const r of [0.1, 0.5, 0.999999]) {
        const delay = backoffDelayMs(n, { random: () => r });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(bound);
        expect(delay).toBeCloseTo(r * bound, 6);
      }
    }
  });

  it('takes base and cap from the policy', () => {
    expect(backoffDelayMs(3, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(800);
    expect(backoffDelayMs(4, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(1000);
  });
});
