import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseDeliveriesTotal, RippleClient, RippleHttpError, RippleUnreachableError, type FetchFn } from './ripple-client.js';

const tweet = { id: '000000000001', text: 'hi', createdAt: '2026-01-01T00:00:00.000Z', author: { id: '1', handle: 'abc' } };
const job = {
  id: '1',
  tweetId: '000000000001',
  kind: 'post',
  delivery: 'fan-out',
  status: 'queued',
  delivered: 0,
  total: 10,
  skipped: 0,
  attempts: 0,
  enqueuedAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  error: null,
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const refusal = (status: 429 | 503, retryAfter?: string) =>
  json(status, { error: { code: status === 429 ? 'rate_limited' : 'overloaded', message: 'not now' } }, retryAfter ? { 'Retry-After': retryAfter } : {});

/** A fetch that answers from a script and remembers what it was sent. */
function scriptedFetch(answers: Array<Response | Error>) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch: FetchFn = async (url, init) => {
    requests.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, requests };
}

function clientWith(answers: Array<Response | Error>) {
  const script = scriptedFetch(answers);
  const waits: number[] = [];
  const client = new RippleClient({
    baseUrl: 'http://ripple.test',
    fetch: script.fetch,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
  return { client, waits, requests: script.requests };
}

describe('RippleClient.postTweet', () => {
  it('waits Retry-After on 503 and 429, then retries with the same Idempotency-Key', async () => {
    const { client, waits, requests } = clientWith([refusal(503, '3'), refusal(429, '1'), json(202, { tweet, job })]);
    const refused: number[] = [];
    const answer = await client.postTweet('tok', 'hi', { idempotencyKey: 'k-1', onRefused: (e) => refused.push(e.status) });
    expect(answer.tweet.id).toBe('000000000001');
    expect(waits).toEqual([3000, 1000]);
    expect(refused).toEqual([503, 429]);
    const keys = requests.map((r) => new Headers(r.init.headers).get('Idempotency-Key'));
    expect(keys).toEqual(['k-1', 'k-1', 'k-1']);
    expect(new Headers(requests[0]!.init.headers).get('Authorization')).toBe('Bearer tok');
  });

  it('backs off with full jitter when there is no Retry-After, network errors included', async () => {
    const { client, waits } = clientWith([refusal(503), new TypeError('fetch failed'), refusal(503), json(202, { tweet, job })]);
    await client.postTweet('tok', 'hi', { idempotencyKey: 'k' });
    // random() = 0.5 of min(30 s, 500 ms · 2^retry)
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('gives up after maxTries, counting every refusal', async () => {
    const { client, waits } = clientWith([refusal(503, '1'), refusal(503, '1'), refusal(503, '1')]);
    let refused = 0;
    await expect(client.postTweet('tok', 'hi', { idempotencyKey: 'k', maxTries: 3, onRefused: () => (refused += 1) })).rejects.toMatchObject({
      status: 503,
    });
    expect(refused).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('does not retry an answer that will not change (400)', async () => {
    const { client, requests } = clientWith([json(400, { error: { code: 'invalid_request', message: 'text must not be empty' } })]);
    await expect(client.postTweet('tok', ' ', { idempotencyKey: 'k' })).rejects.toBeInstanceOf(RippleHttpError);
    expect(requests).toHaveLength(1);
  });
});

describe('RippleClient.health', () => {
  it('turns a refused connection into one line naming the URL', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const { client } = clientWith([refused]);
    const error = await client.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RippleUnreachableError);
    expect((error as Error).message).toBe('Ripple is not reachable at http://ripple.test (ECONNREFUSED); start it with `npm start` or pass --url');
    expect((error as Error).message).not.toContain('\n');
  });

  it('says when Ripple is up but its Redis is not', async () => {
    const { client } = clientWith([json(503, { status: 'error', redis: 'down', backlog: null })]);
    await expect(client.health()).rejects.toThrow(/cannot reach its Redis/);
  });
});

describe('parseDeliveriesTotal', () => {
  it('reads the counter from Prometheus text', () => {
    const text = '# HELP ripple_deliveries_total x\n# TYPE ripple_deliveries_total counter\nripple_deliveries_total 123456\nripple_deliveries_total_other 1\n';
    expect(parseDeliveriesTotal(text)).toBe(123456);
    expect(parseDeliveriesTotal('ripple_fanout_backlog 3\n')).toBeNull();
  });
});

describe('backoffDelayMs', () => {
  it('doubles its bound per retry up to the cap', () => {
    expect([0, 1, 2, 10].map((retry) => backoffDelayMs(retry, () => 0.999999))).toEqual([
      expect.closeTo(500, 0),
      expect.closeTo(1000, 0),
      expect.closeTo(2000, 0),
      expect.closeTo(30000, 0),
    ]);
  });
});

describe('RippleClient reads', () => {
  it('reads a job as its author, retrying a read the server could not answer', async () => {
    const { client, requests } = clientWith([refusal(503, '1'), json(200, { job })]);
    expect(await client.job('tok', '1')).toEqual(job);
    expect(requests.map((r) => r.url)).toEqual(['http://ripple.test/api/jobs/1', 'http://ripple.test/api/jobs/1']);
    expect(new Headers(requests[0]!.init.headers).get('Authorization')).toBe('Bearer tok');
  });

  it('pages through timelines with limit and before', async () => {
    const { client, requests } = clientWith([json(200, { tweets: [tweet], nextBefore: '000000000001' }), json(200, { tweets: [], nextBefore: null })]);
    expect((await client.homeTimeline('tok', { limit: 100 })).nextBefore).toBe('000000000001');
    expect((await client.userTweets('tok', 'abc', { limit: 100, before: '000000000001' })).tweets).toEqual([]);
    expect(requests.map((r) => r.url)).toEqual([
      'http://ripple.test/api/timeline?limit=100',
      'http://ripple.test/api/users/abc/tweets?limit=100&before=000000000001',
    ]);
  });
});
