import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createHttp } from '../../api/http';
import { createRippleApi } from '../../api/ripple-api';
import { fakeFetch, fakeRealtime, makeJob, makeTweet } from '../../test/fakes';
import { articles, ComposedTimeline, ownTweet, topArticle } from '../../test/home-timeline-fixture';

async function setup(timeline = { tweets: [makeTweet('000000000005', 'bob')], nextBefore: null as string | null }) {
  const server = fakeFetch();
  const socket = fakeRealtime();
  const api = createRippleApi(createHttp({ fetch: server.fetch, getToken: () => 'tok' }));
  render(<ComposedTimeline api={api} realtime={socket.realtime} />);
  server.answer('GET', '/api/timeline', 200, timeline);
  await screen.findByText(timeline.tweets[0]?.text ?? 'No tweets yet. Post one, or follow someone.');
  const user = userEvent.setup();
  const postTweet = async (text = 'hello world') => {
    await user.type(screen.getByRole('textbox', { name: "What's happening?" }), text);
    await user.click(screen.getByRole('button', { name: 'Post' }));
  };
  return { server, socket, user, postTweet };
}

describe('HomeTimeline', () => {
  it('shows the tweet at the top marked sending before the server answers, then walks it to delivered', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();

    expect(topArticle().getAttribute('data-status')).toBe('sending');
    expect(topArticle().textContent).toContain('hello world');
    expect(topArticle().getAttribute('data-tweet-id')).toMatch(/^local-/);
    expect(articles()[1]!.getAttribute('data-status')).toBeNull();

    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob() });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('queued'));
    expect(topArticle().getAttribute('data-tweet-id')).toBe('000000000010');
    expect(screen.getAllByText('hello world')).toHaveLength(1);

    socket.emit('fanout:progress', { jobId: 'job-1', tweetId: '000000000010', delivered: 5, total: 10 });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivering'));
    const bar = within(topArticle()).getByRole<HTMLProgressElement>('progressbar');
    expect(bar.value).toBe(5);
    expect(bar.max).toBe(10);
    expect(within(topArticle()).getByText('delivered to 5 of 10 followers')).toBeTruthy();

    socket.emit('fanout:done', { jobId: 'job-1', tweetId: '000000000010', delivered: 10, total: 10, durationMs: 80 });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 10 followers')).toBeTruthy();
  });

  it('keeps events that arrive before the 202 and applies them when it lands', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    socket.emit('fanout:progress', { jobId: 'job-1', tweetId: '000000000010', delivered: 8, total: 10 });
    socket.emit('fanout:done', { jobId: 'job-1', tweetId: '000000000010', delivered: 10, total: 10, durationMs: 5 });
    expect(topArticle().getAttribute('data-status')).toBe('sending');

    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ status: 'queued' }) });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 10 followers')).toBeTruthy();
  });

  it('says delivered to 0 followers at once when the 202 reports the job done', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ status: 'done', total: 0 }) });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 0 followers')).toBeTruthy();
  });

  it('labels a tweet delivered inside the request inline, and only that one', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ status: 'done', delivery: 'inline', delivered: 3, total: 3 }) });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 3 followers')).toBeTruthy();
    expect(within(topArticle()).getByText('inline, in the request')).toBeTruthy();

    await postTweet('by the queue');
    server.answer('POST', '/api/tweets', 202, { tweet: { ...ownTweet, id: '000000000011', text: 'by the queue' }, job: makeJob({ id: 'job-2' }) });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('queued'));
    expect(within(topArticle()).queryByText('inline, in the request')).toBeNull();
  });

  it('says a tweet went out on read, and why: its followers against the threshold; no delivery count', async () => {
    const { server, postTweet } = await setup();
    await postTweet();
    const job = makeJob({ status: 'done', delivery: 'on-read', delivered: 2_000_000, total: 2_000_000, onReadThreshold: 1_000_000 });
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(topArticle().textContent).toContain('on read — you have 2,000,000 followers, above the 1,000,000 threshold');
    expect(within(topArticle()).queryByText(/^delivered to/)).toBeNull();
  });

  it('says how many inactive followers the delivery left out, with the total it settled on', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ total: 10 }) });
    socket.emit('fanout:done', { jobId: 'job-1', tweetId: '000000000010', delivered: 8, total: 8, durationMs: 5, skipped: 2 });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 8 followers')).toBeTruthy();
    expect(topArticle().textContent).toContain('2 inactive followers left out');
  });

  it('says a tweet went out on write when its followers are not above the threshold', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob({ total: 10, onReadThreshold: 1_000_000 }) });
    socket.emit('fanout:done', { jobId: 'job-1', tweetId: '000000000010', delivered: 10, total: 10, durationMs: 5 });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('delivered'));
    expect(within(topArticle()).getByText('delivered to 10 followers')).toBeTruthy();
    expect(topArticle().textContent).toContain('on write — 10 followers, not above the 1,000,000 on-read threshold');
  });

  it('marks a send that got no answer failed, and Retry sends it again with the same Idempotency-Key', async () => {
    const { server, user, postTweet } = await setup();
    await postTweet();
    server.fail('POST', '/api/tweets');

    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('failed'));
    expect(within(topArticle()).getByText(/Could not reach the server/)).toBeTruthy();
    expect(within(topArticle()).getByRole('button', { name: 'Discard' })).toBeTruthy();

    await user.click(within(topArticle()).getByRole('button', { name: 'Retry' }));
    expect(topArticle().getAttribute('data-status')).toBe('sending');
    const sends = server.callsTo('POST', '/api/tweets');
    expect(sends).toHaveLength(2);
    const firstKey = sends[0]!.headers['Idempotency-Key'];
    expect(firstKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(sends[1]!.headers['Idempotency-Key']).toBe(firstKey);
    expect(sends[1]!.body).toEqual({ text: 'hello world' });

    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob() });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('queued'));
    expect(articles()).toHaveLength(2);
  });

  it("shows the server's message when the POST is refused, and Discard removes the tweet", async () => {
    const { server, user, postTweet } = await setup();
    await postTweet();
    server.answer(
      'POST',
      '/api/tweets',
      503,
      { error: { code: 'overloaded', message: 'Ripple is busy delivering tweets; try again shortly.' } },
      { 'Retry-After': '5' },
    );
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('failed'));
    expect(within(topArticle()).getByText(/Ripple is busy delivering tweets/)).toBeTruthy();

    await user.click(within(topArticle()).getByRole('button', { name: 'Discard' }));
    expect(screen.queryByText('hello world')).toBeNull();
    expect(articles()).toHaveLength(1);
  });

  it('shows a delivery that failed with its reason', async () => {
    const { server, socket, postTweet } = await setup();
    await postTweet();
    server.answer('POST', '/api/tweets', 202, { tweet: ownTweet, job: makeJob() });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('queued'));
    socket.emit('fanout:failed', { jobId: 'job-1', tweetId: '000000000010', error: 'gave up after 5 attempts' });
    await waitFor(() => expect(topArticle().getAttribute('data-status')).toBe('failed'));
    expect(within(topArticle()).getByText(/gave up after 5 attempts/)).toBeTruthy();
  });

  it('slides tweets from followed users in at the top, once each', async () => {
    const { socket } = await setup();
    const tweet = makeTweet('000000000007', 'carol', 'fresh news');
    socket.emit('timeline:new', { tweet });
    socket.emit('timeline:new', { tweet });
    await screen.findByText('fresh news');
    expect(topArticle().getAttribute('data-tweet-id')).toBe('000000000007');
    expect(topArticle().className).toContain('tweet--arrived');
    expect(screen.getAllByText('fresh news')).toHaveLength(1);
  });

  it('refetches the first page on reconnect and merges it without duplicates', async () => {
    const { server, socket } = await setup();
    socket.emit('connect');
    server.answer('GET', '/api/timeline', 200, {
      tweets: [makeTweet('000000000008', 'dave', 'missed while away'), makeTweet('000000000005', 'bob')],
      nextBefore: null,
    });
    await screen.findByText('missed while away');
    expect(articles().map((a) => a.getAttribute('data-tweet-id'))).toEqual(['000000000008', '000000000005']);
  });

  it('loads older tweets with nextBefore', async () => {
    const { server, user } = await setup({ tweets: [makeTweet('000000000005', 'bob')], nextBefore: '000000000005' });
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    const call = server.answer('GET', '/api/timeline?before=', 200, {
      tweets: [makeTweet('000000000002', 'bob', 'an older one')],
      nextBefore: null,
    });
    expect(call.path).toBe('/api/timeline?before=000000000005');
    await screen.findByText('an older one');
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('renders tweet text as text, never as markup', async () => {
    const { socket } = await setup();
    socket.emit('timeline:new', { tweet: makeTweet('000000000009', 'eve', '<img src=x onerror=alert(1)>') });
    await screen.findByText('<img src=x onerror=alert(1)>');
    expect(document.querySelector('article img')).toBeNull();
  });
});

describe('deleting own tweets', () => {
  const mine = makeTweet('000000000007', 'me', 'regrettable');
  const bobs = makeTweet('000000000005', 'bob');
  const deleteButtonOf = (text: string) => within(screen.getByText(text).closest('article')!).getByRole('button', { name: 'Delete tweet' });

  it('offers Delete on own tweets only, takes the tweet off at once, and shows the removal filling like a delivery', async () => {
    const { server, socket, user } = await setup({ tweets: [mine, bobs], nextBefore: null });
    expect(within(screen.getByText('tweet 000000000005').closest('article')!).queryByRole('button', { name: 'Delete tweet' })).toBeNull();

    await user.click(deleteButtonOf('regrettable'));
    // Gone before the server has answered.
    expect(screen.queryByText('regrettable')).toBeNull();
    expect(server.callsTo('DELETE', '/api/tweets/000000000007')).toHaveLength(1);

    server.answer('DELETE', '/api/tweets/000000000007', 202, { job: makeJob({ id: 'job-del', tweetId: mine.id, kind: 'delete', total: 4 }) });
    const status = await screen.findByRole('list', { name: 'Deleted tweets' });
    expect(within(status).getByText('Deleted “regrettable”')).toBeTruthy();
    socket.emit('fanout:progress', { jobId: 'job-del', tweetId: mine.id, delivered: 1, total: 4 });
    await waitFor(() => expect(within(status).getByText('removed from 1 of 4 timelines')).toBeTruthy());
    socket.emit('fanout:done', { jobId: 'job-del', tweetId: mine.id, delivered: 4, total: 4, durationMs: 9 });
    await waitFor(() => expect(within(status).getByText('removed from 4 timelines')).toBeTruthy());
    // Its own tweet:deleted, and a refetch that still had it, change nothing.
    socket.emit('tweet:deleted', { tweetId: mine.id });
    socket.emit('timeline:new', { tweet: mine });
    expect(screen.queryByText('regrettable')).toBeNull();
    expect(articles()).toHaveLength(1);
  });

  it('puts the tweet back where it was, saying why, when the delete fails', async () => {
    const { server, user } = await setup({ tweets: [mine, bobs], nextBefore: null });
    await user.click(deleteButtonOf('regrettable'));
    expect(screen.queryByText('regrettable')).toBeNull();

    server.answer('DELETE', '/api/tweets/000000000007', 503, { error: { code: 'unavailable', message: 'Ripple cannot reach its database.' } });
    await screen.findByText('regrettable');
    expect(topArticle().textContent).toContain('regrettable');
    expect(within(topArticle()).getByRole('alert').textContent).toBe('Could not delete: Ripple cannot reach its database.');
    expect(screen.queryByRole('list', { name: 'Deleted tweets' })).toBeNull();

    // Deleting again clears the message and takes it off again.
    await user.click(deleteButtonOf('regrettable'));
    expect(screen.queryByText('regrettable')).toBeNull();
    server.answer('DELETE', '/api/tweets/000000000007', 202, { job: makeJob({ id: 'job-del', tweetId: mine.id, kind: 'delete' }) });
    await screen.findByRole('list', { name: 'Deleted tweets' });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("drops a followed author's tweet when tweet:deleted arrives", async () => {
    const { socket } = await setup({ tweets: [bobs], nextBefore: null });
    socket.emit('tweet:deleted', { tweetId: bobs.id });
    await waitFor(() => expect(screen.queryByText('tweet 000000000005')).toBeNull());
  });
});
