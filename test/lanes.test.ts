import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import type { Job } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp, signUpInBucket } from './support/users.js';
import { waitForJob } from './support/jobs.js';
import { publishedEvents } from './support/streams.js';
import { SMALL_BATCH } from '../worker/src/lanes.js';

/**
 * Followers per stream entry here: the bulk job below is four chunks of one. Four synthetic
 * followers have consecutive ids, so on a cluster they are in four buckets, a chunk in each: the
 * job is cut alike on either kind of Redis.
 */
const CHUNK = 1;

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  ({ app, redis, close: closeApp } = await createTestApp(redisServer.target, { fanoutChunkSize: CHUNK }));
});
afterAll(async () => {
  await closeApp();
  await redisServer.stop();
});

const post = async (auth: Record<string, string>, text: string) =>
  ((await request(app).post('/api/tweets').set(auth).send({ text }).expect(202)).body as { job: Job }).job;

describe('one worker facing both lanes', () => {
  it('runs small jobs first, but gives a waiting bulk chunk its turn once small ones have delivered as much, so neither lane starves', async () => {
    const celebrity = await signUp(app, 'lane_bulk');
    // In the celebrity's bucket, so both jobs' events are in one stream, in the order written:
    // streams of different buckets can be merged only by their millisecond timestamps.
    const chatty = await signUpInBucket(app, redis, 'lane_small', keysOf(redis).layout.bucketOf(celebrity.user.id));
    await request(app)
      .post('/api/me/followers/synthetic')
      .set(celebrity.auth)
      .send({ count: 4 * CHUNK })
      .expect(200);
    await request(app).post('/api/me/followers/synthetic').set(chatty.auth).send({ count: 1 }).expect(200);

    // Everything is queued before the worker starts, the bulk job first, so the order below is
    // the worker's choice alone and not the order in which work arrived.
    const bulk = await post(celebrity.auth, 'to four followers, in four chunks');
    const small: Job[] = [];
    for (let i = 0; i < SMALL_BATCH + 4; i++) small.push(await post(chatty.auth, `small ${i}`));

    // A page is a whole chunk, so each bulk chunk publishes exactly one progress event: with the
    // small jobs' done events, the events stream is the order in which the worker ran entries.
    // Nothing is ever stalled long enough to be claimed, which would reorder entries.
    const worker = await startTestWorker(redisServer.target, { pageSize: CHUNK, claimIdleMs: 60_000 });
    try {
      await waitForJob(app, celebrity.token, bulk.id, 'done', { timeoutMs: 10_000 });
      for (const job of small) await waitForJob(app, chatty.token, job.id, 'done', { timeoutMs: 10_000 });
    } finally {
      await worker.close();
    }

    const ran = (await publishedEvents(redis)).flatMap(({ event, payload }) => {
      if (payload.jobId === bulk.id) return event === 'fanout:progress' ? ['B'] : [];
      return event === 'fanout:done' ? ['s'] : [];
    });
    // Every entry here weighs the same (one follower, so the least an entry counts). A batch of
    // small ones first, then the oldest bulk chunk, which has waited for as much; from then on
    // the lanes take turns entry by entry, a bulk chunk weighing what one small entry does, until
    // the bulk lane is empty and the last small one runs.
    expect(ran.join('')).toBe(`${'s'.repeat(SMALL_BATCH)}BsBsBsBs`);
    const smallDone = (await publishedEvents(redis)).filter((e) => e.event === 'fanout:done' && e.payload.jobId !== bulk.id);
    // The first batch ran side by side, so its jobs may finish in any order among themselves.
    const byBatch = (jobIds: string[]) => [jobIds.slice(0, SMALL_BATCH).sort(), ...jobIds.slice(SMALL_BATCH)];
    expect(byBatch(smallDone.map((e) => String(e.payload.jobId))), 'small jobs run oldest first, batch by batch').toEqual(byBatch(small.map((j) => j.id)));
  });
});
