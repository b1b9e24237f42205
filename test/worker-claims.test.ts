import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { fanoutEntryField, jobField, keys, seqFromTweetId, statsField, type PostTweetResponse } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readCounters } from '../server/src/store/bucket-totals.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp, signUpInBucket } from './support/users.js';
import { readJob, waitForJob } from './support/jobs.js';
import { expectEveryFollowerHasEachOnce, followerIds } from './support/timelines.js';

/**
 * Long enough that a page of one follower is far below it, so a worker going page by page never
 * lets its own entry reach it; short enough that the test waits seconds, not minutes.
 */
const CLAIM_IDLE_MS = 1_000;
/** Followers of the long chunk: at one per page it runs for several claim times. */
const LONG_AUDIENCE = 30_000;

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  // Every job's whole audience fits one chunk (on a cluster, one per follower bucket), so both
  // jobs below go to the small lane as one entry each.
  ({ app, redis, close: closeApp } = await createTestApp(redisServer.target, { fanoutChunkSize: LONG_AUDIENCE }));
});
afterAll(async () => {
  await closeApp();
  await redisServer.stop();
});

const post = async (auth: Record<string, string>, text: string) =>
  (await request(app).post('/api/tweets').set(auth).send({ text }).expect(202)).body as PostTweetResponse;

describe('claims between live workers', () => {
  it('leave a long chunk with its busy worker, and the entries read with it run alongside it, not waiting to be claimed', async () => {
    const busy = await signUp(app, 'claims_long');
    // In one bucket, so both entries are on one lane, the long one first, and one read takes both.
    const home = keysOf(redis).layout.bucketOf(busy.user.id);
    const alongside = await signUpInBucket(app, redis, 'claims_short', home);
    await request(app).post('/api/me/followers/synthetic').set(busy.auth).send({ count: LONG_AUDIENCE }).expect(200);
    await request(app).post('/api/me/followers/synthetic').set(alongside.auth).send({ count: 10 }).expect(200);
    const long = await post(busy.auth, 'a long chunk');
    const short = await post(alongside.auth, 'read with it');

    // The first worker reads both entries at once and works through the long one page by page,
    // for several claim times, beating after every page. The short one, run beside it rather
    // than behind it, never waits in its hand long enough to be claimed.
    const first = await startTestWorker(redisServer.target, { pageSize: 1, claimIdleMs: CLAIM_IDLE_MS });
    const workers = [first];
    try {
      const shortDone = await waitForJob(app, alongside.token, short.job.id, 'done', { timeoutMs: 5_000 });
      expect((await readJob(app, busy.token, long.job.id))!.status, 'the long job, when the short one was done').not.toBe('done');
      expect(shortDone).toMatchObject({ delivered: 10, total: 10, attempts: 1 });
      // An idle worker looks for stalled entries all the while: the busy worker keeps claiming
      // the long one for itself between pages, so it finds none.
      const idle = await startTestWorker(redisServer.target, { pageSize: 1, claimIdleMs: CLAIM_IDLE_MS });
      workers.push(idle);

      const longDone = await waitForJob(app, busy.token, long.job.id, 'done', { timeoutMs: 30_000 });
      expect(longDone).toMatchObject({ delivered: LONG_AUDIENCE, total: LONG_AUDIENCE, attempts: 1 });
      expect(await claimed(), 'entries taken from the busy worker').toBe(0);
      await expectEveryFollowerHasEachOnce(redis, busy.user.id, [seqFromTweetId(long.tweet.id)]);
      await expectEveryFollowerHasEachOnce(redis, alongside.user.id, [seqFromTweetId(short.tweet.id)]);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('run an entry held by a worker that is alive but stalled elsewhere, at no attempt', async () => {
    const author = await signUp(app, 'claims_stalled');
    await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 10 }).expect(200);
    const { tweet, job } = await post(author.auth, 'held by a stalled worker');

    // A worker that took the entry and then stalled: it beats, so it is alive, but never runs it.
    const lane = keysOf(redis).fanoutLanes(keysOf(redis).layout.bucketOf(author.user.id)).small;
    await redis.xGroupCreate(lane, keys.fanoutGroup, '0', { MKSTREAM: true }).catch(() => {});
    const beat = () => redis.zAdd(keys.workers, { score: Date.now(), value: 'stalled' });
    await beat();
    const beating = setInterval(() => void beat(), 100);
    const taken = (await redis.xReadGroup(keys.fanoutGroup, 'stalled', { key: lane, id: '>' }, { COUNT: 1 })) as {
      messages: { message: Record<string, string> }[];
    }[];
    expect(taken[0]?.messages.map((m) => m.message[fanoutEntryField.job])).toEqual([job.id]);
    const before = await claimed();
    const worker = await startTestWorker(redisServer.target, { claimIdleMs: CLAIM_IDLE_MS });
    try {
      const done = await waitForJob(app, author.token, job.id, 'done', { timeoutMs: 10_000 });
      // Taken from a live worker: run as it was, not requeued with an attempt counted.
      expect(done).toMatchObject({ delivered: 10, total: 10, attempts: 1 });
      expect((await claimed()) - before, 'entries taken from the stalled worker').toBe(1);
      // So is every chunk of it: one in each bucket holding its followers.
      const chunks = [...new Set((await followerIds(redis, author.user.id)).map((id) => keysOf(redis).layout.bucketOf(id)))].map((b) => `${b}:0`);
      expect(
        await redis.hmGet(
          keysOf(redis).job(job.id),
          chunks.map((chunk) => jobField.attempt(chunk)),
        ),
      ).toEqual(chunks.map(() => '1'));
      expect((await request(app).get('/metrics').expect(200)).text).toMatch(new RegExp(`^ripple_claims_total ${before + 1}$`, 'm'));
      await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);
    } finally {
      clearInterval(beating);
      await worker.close();
      await redis.zRem(keys.workers, 'stalled');
    }
  });
});

/** Entries taken over from other workers so far, as the stats count them. */
const claimed = async () => (await readCounters(redis))[statsField.claims] ?? 0;
