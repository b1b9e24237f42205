import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { createHttp } from '../../api/http';
import { withRetry, type RetryPolicy } from '../../api/retry';
import { createRippleApi } from '../../api/ripple-api';
import { fakeFetch, fakeRealtime, makeJob, makeTweet } from '../../test/fakes';
import { articles, ComposedTimeline, me, ownTweet, topArticle } from '../../test/home-timeline-fixture';
import { outboxStorageKey, type PendingPost } from './outbox-store';

// These tests drive the clock by hand, so Testing Library's waitFor (which polls on timers) is
// not used: every step advances fake time inside act() and then looks at the page.

const OUTBOX_KEY = outboxStorageKey(me.id);
const busy = { error: { code: 'overloaded', message: 'Ripple is busy delivering tweets; try again shortly.' } };

/** Advances fake time (0 just lets pending promises and renders settle). */
const elapse = (ms = 0) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

async function setup(options: { policy?: RetryPolicy; timeline?: ReturnType<typeof makeTweet>[]; strict?: boolean } = {}) {
  const server = fakeFetch();
  const socket = fakeRealtime();
  const http = withRetry(createHttp({ fetch: server.fetch, getToken: () => 'tok' }), {
    random: () => 0.5,
    ...options.policy,
  });
  const timeline = <ComposedTimeline api={createRippleApi(http)} realtime={socket.realtime} storage={localStorage} />;
  render(options.strict ? <StrictMode>{timeline}</StrictMode> : timeline);
  await elapse();
  server.answer('GET', '/api/timeline', 200, { tweets: options.timeline ?? [makeTweet('000000000005', 'bob')], nextBefore: null });
  await elapse();
  const postTweet = async (text = 'hello world') => {
    fireEvent.change(screen.getByRole('textbox', { name: "What's happening?" }), { target: { value: text } });
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    await elapse();
  };
  return { server, socket, postTweet };
}

const status = () => topArticle().getAttribute('data-status');
const statusText = () => topArticle().querySelector('.delivery')?.textContent ?? '';
const storedOutbox = (): PendingPost[] => JSON.parse(localStorage.getItem(OUTBOX_KEY) ?? '[]') as PendingPost[];

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('useHomeTimeline under back pressure', () => {
  it('shows a live countdown while the server is busy, then the truth once the retry is accepted', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    expect(status()).toBe('sending');

    server.answer('POST', '/api/tweets', 503, busy, { 'Retry-After': '4' });
    await elapse();
    expect(status()).toBe('retrying');
    expect(within(topArticle()).getByText('server busy, retrying in 4 s')).toBeTruthy();

    await elapse(1000);
    expect(within(topArticle()).getByText('server busy, retrying in 3 s')).toBeTruthy();
    await elapse(1000);
    expect(within(topArticle()).getByText('server busy, retrying in 2 s')).toBeTruthy();
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(1);

    await elapse(2000);
    const sends = server.callsTo('POST', '/api/tweets');
    expect(sends).toHaveLength(2);
    expect(status()).toBe('sending');
    expect(sends[1]!.headers['Idempotency-Key']).toBe(sends[0]!.headers['Idempotency-Key']);

    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob() });
    await elapse();
    expect(status()).toBe('queued');
    expect(topArticle().getAttribute('data-tweet-id')).toBe('000000000010');
    expect(screen.getAllByText('hello world')).toHaveLength(1);
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull();
  });

  it('says offline while a send that got no answer waits for its next try', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    server.fail('POST', '/api/tweets');
    await elapse();
    expect(status()).toBe('retrying');
    // No Retry-After: the first backoff is 0.5 × 500 ms, which shows as the next whole second.
    expect(statusText()).toContain('offline, retrying in 1 s');
    await elapse(250);
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(2);
    expect(status()).toBe('sending');
  });

  it('Discard during the countdown removes the tweet and sends nothing more', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    expect(storedOutbox()).toHaveLength(1);
    server.answer('POST', '/api/tweets', 503, busy, { 'Retry-After': '4' });
    await elapse(1000);
    expect(status()).toBe('retrying');

    fireEvent.click(within(topArticle()).getByRole('button', { name: 'Discard' }));
    await elapse();
    expect(screen.queryByText('hello world')).toBeNull();
    expect(articles()).toHaveLength(1);
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull();

    await elapse(60_000);
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(1);
  });

  it('shows failed with Retry and Discard after the last try, and keeps the post for the next visit', async () => {
    const { server, postTweet } = await setup({ policy: { maxAttempts: 2 } });
    await postTweet();
    server.answer('POST', '/api/tweets', 503, busy, { 'Retry-After': '1' });
    await elapse(1000);
    server.answer('POST', '/api/tweets', 503, busy, { 'Retry-After': '1' });
    await elapse();
    expect(status()).toBe('failed');
    expect(within(topArticle()).getByText(/Ripple is busy delivering tweets/)).toBeTruthy();
    expect(within(topArticle()).getByRole('button', { name: 'Retry' })).toBeTruthy();
    expect(within(topArticle()).getByRole('button', { name: 'Discard' })).toBeTruthy();
    expect(storedOutbox()).toEqual([expect.objectContaining({ text: 'hello world' })]);
  });

  it('forgets a post the server refuses for good', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 400, { error: { code: 'invalid_request', message: 'text is too long' } });
    await elapse();
    expect(status()).toBe('failed');
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull();
    await elapse(60_000);
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(1);
  });

  it('waits for the browser to come back online before sending, without spending tries', async () => {
    const { server, postTweet } = await setup();
    let online = false;
    vi.spyOn(navigator, 'onLine', 'get').mockImplementation(() => online);
    await postTweet();
    expect(status()).toBe('retrying');
    expect(statusText()).toContain('offline, sending when back online');
    await elapse(5 * 60_000);
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(0);

    online = true;
    await act(async () => {
      window.dispatchEvent(new Event('online'));
    });
    await elapse();
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(1);
    expect(status()).toBe('sending');
  });
});

describe('useHomeTimeline across reloads', () => {
  const stored: PendingPost = {
    localId: 'local-stored',
    text: 'written before the reload',
    idempotencyKey: 'key-from-last-visit',
    createdAt: '2025-01-01T12:30:00.000Z',
  };

  it('shows posts left in storage at the top and resends them with their own keys', async () => {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([stored]));
    const { server } = await setup();
    expect(topArticle().getAttribute('data-tweet-id')).toBe('local-stored');
    expect(status()).toBe('sending');
    expect(topArticle().textContent).toContain('written before the reload');

    const [send, ...others] = server.callsTo('POST', '/api/tweets');
    expect(others).toHaveLength(0);
    expect(send!.headers['Idempotency-Key']).toBe('key-from-last-visit');
    expect(send!.body).toEqual({ text: 'written before the reload' });

    server.answer('POST', '/api/tweets', 202, {
      tweet: makeTweet('000000000011', 'me', 'written before the reload'),
      job: makeJob({ id: 'job-2', tweetId: '000000000011' }),
    });
    await elapse();
    expect(status()).toBe('queued');
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull();
  });

  it('shows a resent post once when the server had already accepted it before the reload', async () => {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([stored]));
    const accepted = makeTweet('000000000011', 'me', 'written before the reload');
    const { server } = await setup({ timeline: [accepted, makeTweet('000000000005', 'bob')] });
    // The same key answers the first tweet again: the optimistic entry takes its place.
    server.answer('POST', '/api/tweets', 202, {
      tweet: accepted,
      job: makeJob({ id: 'job-2', tweetId: '000000000011', status: 'done', delivered: 3, total: 3 }),
    });
    await elapse();
    expect(screen.getAllByText('written before the reload')).toHaveLength(1);
    expect(articles().map((a) => a.getAttribute('data-tweet-id'))).toEqual(['000000000011', '000000000005']);
    expect(status()).toBe('delivered');
  });

  it('under StrictMode shows a restored post once, and sends it again after the development remount', async () => {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([stored]));
    const { server } = await setup({ strict: true });
    expect(screen.getAllByText('written before the reload')).toHaveLength(1);
    const sends = server.callsTo('POST', '/api/tweets');
    // The first mount's send (aborted by the remount) and the second mount's, under the one key.
    expect(sends).toHaveLength(2);
    expect(sends.map((s) => s.headers['Idempotency-Key'])).toEqual(['key-from-last-visit', 'key-from-last-visit']);
    const accepted = { tweet: makeTweet('000000000011', 'me', 'written before the reload'), job: makeJob({ id: 'job-2', tweetId: '000000000011' }) };
    server.answer('POST', '/api/tweets', 202, accepted);
    server.answer('POST', '/api/tweets', 202, accepted);
    await elapse();
    expect(screen.getAllByText('written before the reload')).toHaveLength(1);
    expect(status()).toBe('queued');
    expect(localStorage.getItem(OUTBOX_KEY)).toBeNull();
  });

  it("leaves another user's unsent posts alone", async () => {
    localStorage.setItem(outboxStorageKey('u-someone-else'), JSON.stringify([stored]));
    const { server } = await setup();
    expect(screen.queryByText('written before the reload')).toBeNull();
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(0);
  });
});

describe('useHomeTimeline after a reconnect', () => {
  it('re-reads every own job not finished yet, so a fanout:done missed while away still ends delivered', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ status: 'queued', total: 10 }) });
    await elapse();
    expect(status()).toBe('queued');

    // The socket drops; the job runs and finishes meanwhile; the socket comes back.
    act(() => socket.emit('connect'));
    await elapse();
    server.answer('GET', '/api/timeline', 200, { tweets: [ownTweet, makeTweet('000000000005', 'bob')], nextBefore: null });
    const [read] = server.callsTo('GET', '/api/jobs/');
    expect(read?.path).toBe('/api/jobs/job-1');
    server.answer('GET', '/api/jobs/job-1', 200, {
      job: makeJob({ status: 'done', delivered: 10, total: 10, finishedAt: '2025-01-01T12:00:01.000Z' }),
    });
    await elapse();
    expect(status()).toBe('delivered');
    expect(within(topArticle()).getByText('delivered to 10 followers')).toBeTruthy();
    expect(screen.getAllByText('hello world')).toHaveLength(1);

    // A finished job is not read again on the next reconnect.
    act(() => socket.emit('connect'));
    await elapse();
    expect(server.callsTo('GET', '/api/jobs/')).toHaveLength(1);
  });

  it('never moves a job backwards when the re-read is older than what the socket said', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob() });
    await elapse();
    act(() => socket.emit('fanout:progress', { jobId: 'job-1', tweetId: '000000000010', delivered: 8, total: 10 }));
    act(() => socket.emit('connect'));
    await elapse();
    server.answer('GET', '/api/jobs/job-1', 200, { job: makeJob({ status: 'running', delivered: 3, total: 10 }) });
    await elapse();
    expect(status()).toBe('delivering');
    expect(within(topArticle()).getByText('delivered to 8 of 10 followers')).toBeTruthy();
  });
});
