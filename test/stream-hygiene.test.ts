import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { jobField, keys, seqFromTweetId, type Job } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog, readDeadLetterCount } from '../server/src/store/bucket-totals.js';
import { allLanes } from './support/streams.js';
import { waitForJob } from './support/jobs.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, createTestApp, keysMatching, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';

// The README's numbers ("Hygiene"), spelled here rather than imported, so that changing the
// constants the scripts use fails these tests instead of moving them along.
/** Finished job records expire after 25 hours… */
const JOB_KEPT_S = 25 * 3600;
/** …longer than the 24-hour idempotency window. */
const IDEMPOTENCY_WINDOW_S = 24 * 3600;
/** The events stream, a live feed, is trimmed to about 100 000 entries. */
const EVENTS_KEPT = 100_000;
const k = keysOf;

/** How far a TTL may have run down between the write and the test reading it. */
const TTL_SLACK_S = 60;
const isAbout = (ttl: number, seconds: number) => ttl > seconds - TTL_SLACK_S && ttl <= seconds;
const expectAbout = (ttl: number, seconds: number, what: string) => {
  expect(ttl, what).toBeGreaterThan(seconds - TTL_SLACK_S);
  expect(ttl, what).toBeLessThanOrEqual(seconds);
};

let redisServer: RedisUnderTestHandle;
beforeAll(async () => {
  redisServer = await startRedisUnderTest();
});
afterAll(async () => {
  await redisServer.stop();
});

describe('after thousands of jobs', () => {
  it('leaves no stream entry, pending entry or retry behind, and every job record expiring', async () => {
    const { app, redis, close } = await createTestApp(redisServer.target);
    const worker = await startTestWorker(redisServer.target);
    try {
      const authors = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp(app, `hygiene_${i}`)));
      for (const a of authors) await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 5 }).expect(200);
      const jobIds: string[] = [];
      for (let round = 0; round < 100; round++) {
        const posted = await Promise.all(
          authors.map((a) =>
            request(app)
              .post('/api/tweets')
              .set(a.auth)
              .send({ text: `r${round}` })
              .expect(202),
          ),
        );
        jobIds.push(...posted.map((r) => r.body.job.id as string));
      }
      expect(jobIds).toHaveLength(2_000);

      await expect.poll(async () => readBacklog(redis), { timeout: 30_000 }).toBe(0);
      for (const lane of allLanes(redis)) {
        await expect.poll(async () => redis.xLen(lane), { timeout: 5_000 }).toBe(0);
        expect((await redis.xPending(lane, keys.fanoutGroup)).pending).toBe(0);
        // Deleted entries free their stream nodes: a lane stays small however many jobs passed.
        const streamBytes = Number(await redis.memoryUsage(lane));
        expect(streamBytes, lane).toBeGreaterThan(0);
        expect(streamBytes, lane).toBeLessThan(4_096);
      }
      for (const b of k(redis).layout.all) expect(await redis.zCard(k(redis).retrySchedule(b))).toBe(0);
      expect(await readDeadLetterCount(redis)).toBe(0);

      // Every job record there is, in any bucket, is one of these, and expiring.
      const jobRecords = (await Promise.all(k(redis).layout.all.map((b) => keysMatching(redis, keys.job(b, '*'))))).flat();
      expect(jobRecords.sort()).toEqual(jobIds.map((id) => k(redis).job(id)).sort());
      const ttls = await Promise.all(jobIds.map((id) => redis.ttl(k(redis).job(id))));
      expect(ttls.filter((t) => !isAbout(t, JOB_KEPT_S))).toEqual([]);
      const statuses = await Promise.all(jobIds.map((id) => redis.hGet(k(redis).job(id), jobField.status)));
      expect(new Set(statuses)).toEqual(new Set(['done']));
    } finally {
      await worker.close();
      await close();
    }
  });
});

/** Posts through the API with an Idempotency-Key; answers the job and the tweet's id. */
async function post(
  app: Parameters<typeof request>[0],
  auth: Record<string, string>,
  text: string,
  idempotencyKey: string,
): Promise<{ job: Job; tweetId: string }> {
  const res = await request(app).post('/api/tweets').set(auth).set('Idempotency-Key', idempotencyKey).send({ text }).expect(202);
  return { job: res.body.job as Job, tweetId: res.body.tweet.id as string };
}

describe('finished job records', () => {
  it('outlive the idempotency key that answers them: done at admission, done by a worker, or failed', async () => {
    const { app, redis, close } = await createTestApp(redisServer.target);
    let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
    try {
      const alone = await signUp(app, 'ttl_alone');
      const heard = await signUp(app, 'ttl_heard');
      const doomed = await signUp(app, 'ttl_doomed');
      for (const a of [heard, doomed]) await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 3 }).expect(200);

      const atOnce = await post(app, alone.auth, 'nobody follows me', 'key-at-once');
      const delivered = await post(app, heard.auth, 'three follow me', 'key-delivered');
      const failed = await post(app, doomed.auth, 'this one cannot be delivered', 'key-failed');
      expect(atOnce.job.status).toBe('done');
      // Outstanding work never expires: a job waits as long as the backlog makes it wait.
      expect(await redis.ttl(k(redis).job(delivered.job.id))).toBe(-1);
      expect(await redis.ttl(k(redis).job(failed.job.id))).toBe(-1);

      // The tweet record vanishes before any worker runs, so the one attempt allowed fails.
      await redis.del(k(redis).tweet(seqFromTweetId(failed.tweetId)));
      worker = await startTestWorker(redisServer.target, { maxAttempts: 1 });
      await waitForJob(app, heard.token, delivered.job.id, 'done');
      await waitForJob(app, doomed.token, failed.job.id, 'failed');

      const cases = [
        { user: alone, posted: atOnce, key: 'key-at-once', text: 'nobody follows me', status: 'done' },
        { user: heard, posted: delivered, key: 'key-delivered', text: 'three follow me', status: 'done' },
        { user: doomed, posted: failed, key: 'key-failed', text: 'this one cannot be delivered', status: 'failed' },
      ] as const;
      for (const c of cases) {
        const idempotencyTtl = await redis.ttl(k(redis).idempotency(c.user.user.id, c.key));
        const jobTtl = await redis.ttl(k(redis).job(c.posted.job.id));
        expectAbout(idempotencyTtl, IDEMPOTENCY_WINDOW_S, `TTL of the idempotency key of the ${c.key} job`);
        expectAbout(jobTtl, JOB_KEPT_S, `TTL of the ${c.key} job`);
        expect(jobTtl).toBeGreaterThan(idempotencyTtl);
        expect(await redis.get(k(redis).idempotency(c.user.user.id, c.key))).toMatch(new RegExp(`:${c.posted.job.id}$`));
      }
      // And no other idempotency key was written, in any bucket.
      const idempotencyKeys = (await Promise.all(k(redis).layout.all.map((b) => keysMatching(redis, keys.idempotency(b, '*', '*'))))).flat();
      expect(idempotencyKeys.sort()).toEqual(cases.map((c) => k(redis).idempotency(c.user.user.id, c.key)).sort());
      // Within the window the key answers the finished job (the failed one's tweet was destroyed
      // on purpose above, so only these two can be answered in full).
      for (const c of cases.slice(0, 2)) {
        const again = await post(app, c.user.auth, c.text, c.key);
        expect(again.job).toMatchObject({ id: c.posted.job.id, status: c.status });
      }
    } finally {
      await worker?.close();
      await close();
    }
  });
});

/** Appends `count` entries no relay emits (their event name is none of Ripple's), in one call. */
async function padEventsStream(redis: RedisClient, events: string, count: number): Promise<void> {
  await redis.eval("for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'event', 'padding') end", {
    keys: [events],
    arguments: [String(count)],
  });
}

describe('the events stream', () => {
  it('is trimmed to about 100 000 entries by each script that appends to it', async () => {
    const redis = await connectedClient(redisServer.target);
    // Approximate trimming (MAXLEN ~) frees whole stream nodes only, so up to one node's worth
    // more stays; never fewer than the bound.
    const nodeEntries = Number((await redis.configGet('stream-node-max-entries'))['stream-node-max-entries']);
    const allEvents = () => k(redis).layout.all.map((b) => k(redis).eventsStream(b));
    /** Where a user's tweets publish: admission, reports and give-ups all run in the author's bucket. */
    const eventsOf = (user: { user: { id: string } }) => k(redis).eventsStream(k(redis).layout.bucketOf(user.user.id));
    /**
     * Tops the stream up to 1 000 entries over the bound (one XADD trims at most 100 nodes, far
     * more), so that an append which did not trim would leave it visibly too long.
     */
    const overfill = async (events: string) => padEventsStream(redis, events, EVENTS_KEPT + 1_000 - (await redis.xLen(events)));
    const lastEvent = async (events: string) => (await redis.xRevRange(events, '+', '-', { COUNT: 1 }))?.[0]?.message;
    const expectTrimmed = async (events: string) => {
      const length = await redis.xLen(events);
      expect(length).toBeGreaterThanOrEqual(EVENTS_KEPT);
      expect(length).toBeLessThanOrEqual(EVENTS_KEPT + nodeEntries);
    };

    for (const events of allEvents()) await redis.del(events);
    const { app, close } = await createTestApp(redisServer.target);
    let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
    try {
      const alone = await signUp(app, 'events_alone');
      const doomed = await signUp(app, 'events_doomed');
      const heard = await signUp(app, 'events_heard');
      for (const a of [doomed, heard]) await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 1 }).expect(200);

      // admit-tweet.lua: a tweet nobody follows is done at once.
      await overfill(eventsOf(alone));
      await request(app).post('/api/tweets').set(alone.auth).send({ text: 'anyone?' }).expect(202);
      expect(await lastEvent(eventsOf(alone))).toMatchObject({ event: 'fanout:done', to: alone.user.id });
      await expectTrimmed(eventsOf(alone));

      // give-up-chunk.lua: a chunk whose tweet vanished fails its only attempt.
      await overfill(eventsOf(doomed));
      const poisoned = await request(app).post('/api/tweets').set(doomed.auth).send({ text: 'doomed' }).expect(202);
      await redis.del(k(redis).tweet(seqFromTweetId(poisoned.body.tweet.id)));
      worker = await startTestWorker(redisServer.target, { maxAttempts: 1 });
      await waitForJob(app, doomed.token, poisoned.body.job.id, 'failed');
      expect(await lastEvent(eventsOf(doomed))).toMatchObject({ event: 'fanout:failed', to: doomed.user.id });
      await expectTrimmed(eventsOf(doomed));

      // report-chunks.lua: the report of a delivered job's last chunk publishes fanout:done.
      await overfill(eventsOf(heard));
      const posted = await request(app).post('/api/tweets').set(heard.auth).send({ text: 'heard' }).expect(202);
      await waitForJob(app, heard.token, posted.body.job.id, 'done');
      expect(await lastEvent(eventsOf(heard))).toMatchObject({ event: 'fanout:done', to: heard.user.id });
      await expectTrimmed(eventsOf(heard));
    } finally {
      await worker?.close();
      await close();
      for (const events of allEvents()) await redis.del(events);
      await redis.close();
    }
  });
});
