import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seqFromTweetId, type FanoutDone, type TimelineNew } from '@ripple/shared';
import { createLogger, keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { admitTweet } from '../server/src/store/admit-tweet.js';
import { deliverInline, INLINE_BUSY_BACKLOG, INLINE_TAKEOVER_MS } from '../server/src/inline-delivery.js';
import { fixedWindow } from '../server/src/rate-limit.js';
import { addFollowers, api, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { waitForJob } from './support/jobs.js';
import { onSingleRedis, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, startTestServer, startTestWorker } from './support/ripple.js';
import { publishedEvents } from './support/streams.js';
import { expectEveryFollowerHasEachOnce, followerIds } from './support/timelines.js';
import { signUp } from './support/users.js';

const INLINE_MAX = 50;

let redisServer: RedisUnderTestHandle;
let redis: RedisClient;
let server: Awaited<ReturnType<typeof startTestServer>>;
let neverInline: Awaited<ReturnType<typeof startTestServer>>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  redis = await connectedClient(redisServer.target);
  server = await startTestServer(redisServer.target, { fanoutInlineMax: INLINE_MAX });
  neverInline = await startTestServer(redisServer.target, { fanoutInlineMax: 0 });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await neverInline?.close();
  await server?.close();
  await redis?.close();
  await redisServer?.stop();
});

async function socketOf(token: string) {
  const socket = await openSocket(server.url, token);
  sockets.push(socket);
  return socket;
}

/** An author with `synthetic` synthetic followers and one real one, who is online. */
async function authorWithFollowers(handle: string, synthetic: number) {
  const author = await signUp(server.url, handle);
  const follower = await signUp(server.url, `${handle}_f`);
  await api(server.url, '/api/follows', { token: follower.token, body: { handle } });
  if (synthetic > 0) await addFollowers(server.url, author.token, synthetic);
  return { author, follower };
}

/** Every lane of every bucket is empty, and so is the retry schedule: no work was queued or left over. */
async function expectNothingQueued() {
  const k = keysOf(redis);
  for (const b of k.layout.all) {
    const lanes = k.fanoutLanes(b);
    expect(await redis.xLen(lanes.small)).toBe(0);
    expect(await redis.xLen(lanes.bulk)).toBe(0);
    expect(await redis.zCard(k.retrySchedule(b))).toBe(0);
  }
}

describe('inline delivery (FANOUT_INLINE_MAX)', () => {
  it('delivers an audience up to the max inside the request, with no worker running: the 202 job is inline and done, every timeline holds the tweet, fanout:done and timeline:new go out', async () => {
    // Spread over the buckets on a cluster: one page per bucket.
    const { author, follower } = await authorWithFollowers('inline_author', INLINE_MAX - 1);
    const authorSeen = recordEvents(await socketOf(author.token));
    const followerSocket = await socketOf(follower.token);
    const arrived = new Promise<TimelineNew>((resolve) => followerSocket.once('timeline:new', resolve));

    const { tweet, job } = await postTweet(server.url, author.token, 'in the request');
    expect(job).toMatchObject({ tweetId: tweet.id, kind: 'post', delivery: 'inline', status: 'done', delivered: INLINE_MAX, total: INLINE_MAX, error: null });
    expect(job.finishedAt).not.toBeNull();
    // Written before the 202: no worker runs in this file until the takeover test.
    expect(await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)])).toBe(INLINE_MAX);
    await expectNothingQueued();
    expect(await readBacklog(redis)).toBe(0);

    expect((await arrived).tweet).toMatchObject({ id: tweet.id, text: 'in the request' });
    await expect.poll(() => authorSeen.filter((e) => e.event === 'fanout:done').length, { timeout: 10_000 }).toBe(1);
    expect(authorSeen.find((e) => e.event === 'fanout:done')!.payload as FanoutDone).toMatchObject({
      jobId: job.id,
      tweetId: tweet.id,
      delivered: INLINE_MAX,
      total: INLINE_MAX,
    });
    expect((await publishedEvents(redis, job.id)).filter((e) => e.event === 'fanout:done')).toHaveLength(1);
    expect(await api(server.url, `/api/jobs/${job.id}`, { token: author.token })).toEqual({ job });
    // No lane, no worker: its journey is accepted, then done, with no queued step or worker in it.
    const journey = await api<{ steps: { kind: string; worker: string | null }[] }>(server.url, `/api/jobs/${job.id}/journey`, { token: author.token });
    expect(journey.steps.map((s) => [s.kind, s.worker])).toEqual([
      ['accepted', null],
      ['done', null],
    ]);
  });

  it('queues an audience above the max, and every audience when FANOUT_INLINE_MAX is 0', async () => {
    const { author: big } = await authorWithFollowers('inline_big', INLINE_MAX);
    const above = await postTweet(server.url, big.token, 'one too many');
    expect(above.job).toMatchObject({ delivery: 'fan-out', status: 'queued', delivered: 0, total: INLINE_MAX + 1 });

    const { author: small } = await authorWithFollowers('inline_off', 0);
    const off = await postTweet(neverInline.url, small.token, 'queued all the same');
    expect(off.job).toMatchObject({ delivery: 'fan-out', status: 'queued', delivered: 0, total: 1 });
    // Not even an audience of nobody, which is done at once either way.
    const lonely = await signUp(server.url, 'inline_lonely');
    expect((await postTweet(neverInline.url, lonely.token, 'to nobody')).job).toMatchObject({ delivery: 'fan-out', status: 'done', total: 0 });
    // Nobody to deliver to is no delivery in the request: done at admission, as on the queue's path.
    expect((await postTweet(server.url, lonely.token, 'to nobody, not inline')).job).toMatchObject({ delivery: 'fan-out', status: 'done', total: 0 });

    const worker = await startTestWorker(redisServer.target);
    try {
      for (const [token, posted] of [
        [big.token, above],
        [small.token, off],
      ] as const) {
        expect(await waitForJob(server.url, token, posted.job.id, 'done')).toMatchObject({ delivery: 'fan-out', delivered: posted.job.total });
      }
    } finally {
      await worker.close();
    }
  });

  it('gives way to fan-out on read: an audience above FANOUT_ON_READ_THRESHOLD goes on read even when it is small enough for inline', async () => {
    const both = await startTestServer(redisServer.target, { fanoutInlineMax: 10, fanoutOnReadThreshold: 5 });
    try {
      const above = await signUp(both.url, 'prec_above');
      await addFollowers(both.url, above.token, 7);
      expect((await postTweet(both.url, above.token, 'seven: on read')).job).toMatchObject({ delivery: 'on-read', status: 'done', total: 7 });
      const below = await signUp(both.url, 'prec_below');
      await addFollowers(both.url, below.token, 3);
      expect((await postTweet(both.url, below.token, 'three: inline')).job).toMatchObject({ delivery: 'inline', status: 'done', delivered: 3, total: 3 });
    } finally {
      await both.close();
    }
  });

  it('queues even a small audience while Redis is busy with small fan-outs', async () => {
    const { author } = await authorWithFollowers('inline_busy', 2);
    const k = keysOf(redis);
    const busy = k.smallBacklog(k.layout.bucketOf(author.user.id));
    await redis.incrBy(busy, INLINE_BUSY_BACKLOG);
    try {
      const { job } = await postTweet(server.url, author.token, 'behind the others');
      expect(job).toMatchObject({ delivery: 'fan-out', status: 'queued', total: 3 });
    } finally {
      await redis.decrBy(busy, INLINE_BUSY_BACKLOG);
    }
    expect((await postTweet(server.url, author.token, 'not busy any more')).job).toMatchObject({ delivery: 'inline', status: 'done', delivered: 3 });
  });

  it('leaves an inline delivery its server never ran to the workers, which take it over once due; a late run of the server then changes nothing', async () => {
    const { author } = await authorWithFollowers('inline_orphan', 30);
    // Admitted as the server admits it, but nobody delivers it in the request: as if its server died.
    const admitted = await admitInline(author.user.id, 'orphaned');
    expect(admitted.job).toMatchObject({ delivery: 'inline', status: 'queued', total: 31 });
    const seq = seqFromTweetId(admitted.tweet.id);

    const worker = await startTestWorker(redisServer.target);
    try {
      const startedAt = Date.now();
      const done = await waitForJob(server.url, author.token, admitted.job.id, 'done', { timeoutMs: INLINE_TAKEOVER_MS + 15_000 });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(INLINE_TAKEOVER_MS - 1_000);
      expect(done).toMatchObject({ delivery: 'inline', delivered: 31, total: 31 });
    } finally {
      await worker.close();
    }
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seq]);

    // The server was only slow: its delivery ends after the workers' and adds nothing.
    const late = await deliverInline(inlineDeps(), admitted.inline, admitted.job);
    expect(late).toMatchObject({ status: 'done', delivered: 31, total: 31 });
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seq]);
    expect((await publishedEvents(redis, admitted.job.id)).filter((e) => e.event === 'fanout:done')).toHaveLength(1);
    expect((await followerIds(redis, author.user.id)).length).toBe(31);
    await expectNothingQueued();
    expect(await readBacklog(redis)).toBe(0);
  });

  // Pausing the one Redis's writes holds the page script sent and unanswered.
  it.runIf(onSingleRedis)('answers with the job as admitted when the delivery outlasts its wait, and finishes it once Redis moves again', async () => {
    const { author } = await authorWithFollowers('inline_held', 5);
    const admitted = await admitInline(author.user.id, 'held up');
    await redis.clientPause(2_000, 'WRITE');
    const startedAt = Date.now();
    const answered = await deliverInline(inlineDeps(), admitted.inline, admitted.job);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(answered).toEqual(admitted.job);
    // The delivery went on meanwhile, in this process, well before the workers' takeover (none runs here).
    const done = await waitForJob(server.url, author.token, admitted.job.id, 'done', { timeoutMs: 10_000 });
    expect(done).toMatchObject({ delivery: 'inline', delivered: 6, total: 6 });
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(admitted.tweet.id)]);
    await expectNothingQueued();
  });
});

const inlineDeps = () => ({ redis, timelineMax: 800, pageSize: 1000, inactiveAfterDays: 0, log: createLogger('test') });

/** Admits a tweet as the server does, inline, without delivering it. */
async function admitInline(authorId: string, text: string) {
  const admitted = await admitTweet(redis, {
    authorId,
    text,
    idempotencyKey: undefined,
    bounds: { fanoutMaxBacklog: 1e9, fanoutSmallAudience: 10_000, fanoutMaxSmallBacklog: 1e9, fanoutMaxAuthorBacklog: 1e9, fanoutOnReadThreshold: 0 },
    timelineMax: 800,
    chunkSize: 10_000,
    otherBacklog: { small: 0, big: 0 },
    postingLimit: { limit: 1e9, window: fixedWindow(60_000) },
    inlineMax: INLINE_MAX,
  });
  if (admitted.outcome !== 'new' || !admitted.inline) throw new Error(`not admitted inline: ${admitted.outcome}`);
  return { ...admitted, inline: admitted.inline };
}
