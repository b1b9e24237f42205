import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { jobField, keys, seqFromTweetId, statsField, type PostTweetResponse } from '@ripple/shared';
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
  it('leave a long chunk with its busy worker, and run the entries waiting behind it elsewhere at no attempt', async () => {
    const busy = await signUp(app, 'claims_long');
    // In one bucket, so both entries are on one lane, the long one first, and one read takes both.
    const home = keysOf(redis).layout.bucketOf(busy.user.id);
    const waiting = await signUpInBucket(app, redis, 'claims_short', home);
    await request(app).post('/api/me/followers/synthetic').set(busy.auth).send({ count: LONG_AUDIENCE }).expect(200);
    await request(app).post('/api/me/followers/synthetic').set(waiting.auth).send({ count: 10 }).expect(200);
    const long = await post(busy.auth, 'a long chunk');
    const short = await post(waiting.auth, 'waits behind it');

    // The first worker reads both entries at once and works through the long one page by page:
    // alive (it beats after every page) but, for the short entry in its hand, stalled.
    const first = await startTestWorker(redisServer.target, { pageSize: 1, claimIdleMs: CLAIM_IDLE_MS });
    const workers = [first];
    try {
      await expect.poll(async () => (await redis.xPending(keysOf(redis).fanoutLanes(home).small, keys.fanoutGroup)).pending, { timeout: 5_000 }).toBe(2);
      await waitForJob(app, busy.token, long.job.id, 'running', { timeoutMs: 5_000 });
      const idle = await startTestWorker(redisServer.target, { pageSize: 1, claimIdleMs: CLAIM_IDLE_MS });
      workers.push(idle);

      const shortDone = await waitForJob(app, waiting.token, short.job.id, 'done', { timeoutMs: 10_000 });
      // Both entries had been pending longer than the claim time, but only the short one was
      // claimed: the busy worker keeps claiming the long one for itself between pages.
      const claimed = async () => (await readCounters(redis))[statsField.claims] ?? 0;
      expect(await claimed(), 'entries taken from the busy worker').toBe(1);
      expect((await readJob(app, busy.token, long.job.id))!.status, 'the long job, when the short one was done').toBe('running');
      // Taken from a live worker: run as it was, not requeued with an attempt counted.
      expect(shortDone).toMatchObject({ delivered: 10, total: 10, attempts: 1 });
      // So is every chunk of it: one in each bucket holding its followers.
      const chunks = [...new Set((await followerIds(redis, waiting.user.id)).map((id) => keysOf(redis).layout.bucketOf(id)))].map((b) => `${b}:0`);
      expect(
        await redis.hmGet(
          keysOf(redis).job(short.job.id),
          chunks.map((chunk) => jobField.attempt(chunk)),
        ),
      ).toEqual(chunks.map(() => '1'));

      const longDone = await waitForJob(app, busy.token, long.job.id, 'done', { timeoutMs: 30_000 });
      expect(longDone).toMatchObject({ delivered: LONG_AUDIENCE, total: LONG_AUDIENCE, attempts: 1 });
      expect(await claimed(), 'entries taken from the busy worker, in all').toBe(1);
      expect((await request(app).get('/metrics').expect(200)).text).toMatch(/^ripple_claims_total 1$/m);
      await expectEveryFollowerHasEachOnce(redis, busy.user.id, [seqFromTweetId(long.tweet.id)]);
      await expectEveryFollowerHasEachOnce(redis, waiting.user.id, [seqFromTweetId(short.tweet.id)]);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });
});
