import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import {
  fanoutEntrySchema,
  keys,
  seqFromTweetId,
  timelineTrimAt,
  tweetIdFromSeq,
  type FanoutDone,
  type FanoutProgress,
  type Job,
  type Tweet,
} from '@ripple/shared';
import { deliverPage, reportChunks, keysOf, type RedisClient } from '@ripple/shared/node';
import { onSingleRedis, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';
import { waitForJob } from './support/jobs.js';
import { publishedEvents } from './support/streams.js';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { followerIds } from './support/timelines.js';

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;
const k = () => keysOf(redis);

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  ({ app, redis, close: closeApp } = await createTestApp(redisServer.target, { timelineMax: 5 }));
});
afterAll(async () => {
  await closeApp();
  await redisServer.stop();
});

describe('fan-out', () => {
  it('delivers to 10 000 followers exactly once each, with monotonic progress and one done', async () => {
    const worker = await startTestWorker(redisServer.target, { timelineMax: 5, pageSize: 500 });
    try {
      const author = await signUp(app, 'tenk');
      await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 10_000 }).expect(200);
      const { tweet, job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'to all' }).expect(202)).body as {
        tweet: Tweet;
        job: Job;
      };
      const finished = await waitForJob(app, author.token, job.id);
      expect(finished).toMatchObject({ delivered: 10_000, total: 10_000, attempts: 1, error: null });
      expect(finished.startedAt).not.toBeNull();
      expect(finished.finishedAt).not.toBeNull();

      const followers = await followerIds(redis, author.user.id);
      expect(followers).toHaveLength(10_000);
      const seq = String(seqFromTweetId(tweet.id));
      const timelines = await Promise.all(followers.map((id) => redis.lRange(k().timeline(id), 0, -1)));
      expect(timelines.filter((entries) => entries.length !== 1 || entries[0] !== seq)).toEqual([]);
      expect(await readBacklog(redis)).toBe(0);

      const events = await publishedEvents(redis, job.id);
      const progress = events.filter((e) => e.event === 'fanout:progress').map((e) => e.payload as unknown as FanoutProgress);
      const done = events.filter((e) => e.event === 'fanout:done').map((e) => e.payload as unknown as FanoutDone);
      expect(done).toEqual([{ jobId: job.id, tweetId: tweet.id, delivered: 10_000, total: 10_000, durationMs: expect.any(Number) }]);
      expect(events.every((e) => e.to === author.user.id)).toBe(true);
      const delivered = progress.map((p) => p.delivered);
      expect(delivered).toEqual([...delivered].sort((x, y) => x - y));
      // Progress at least every 10 % of the total or every 250 ms (the contract): from the job's
      // start through each report to done, no step is longer than 1 000 deliveries, unless (on
      // a cluster) it came within 250 ms of the one before. One Redis runs this job as one
      // chunk, page after page; a cluster runs a chunk on every master at once and reports them
      // together, so one step there can span pages of several chunks.
      const steps = [
        { delivered: 0, at: Date.parse(finished.startedAt!) },
        ...events.filter((e) => e.event !== 'timeline:new').map((e) => ({ delivered: Number(e.payload.delivered), at: e.at })),
      ];
      const tooCoarse = steps.slice(1).filter((step, i) => step.delivered - steps[i]!.delivered > 1_000 && (onSingleRedis || step.at - steps[i]!.at > 250));
      expect(tooCoarse).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it('delivers once even when the same entry is queued twice and two workers race', async () => {
    const workers = await Promise.all([
      startTestWorker(redisServer.target, { timelineMax: 5, pageSize: 100 }),
      startTestWorker(redisServer.target, { timelineMax: 5, pageSize: 100 }),
    ]);
    try {
      const author = await signUp(app, 'twice');
      await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 3_000 }).expect(200);
      await workers[0].consumer.stop();
      await workers[1].consumer.stop();
      const { tweet, job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'dup?' }).expect(202)).body;
      const lane = k().fanoutLanes(k().layout.bucketOf(author.user.id)).small;
      const [entry] = (await redis.xRange(lane, '-', '+')) ?? [];
      await redis.xAdd(lane, '*', entry!.message);
      const racing = await Promise.all([
        startTestWorker(redisServer.target, { timelineMax: 5, pageSize: 100 }),
        startTestWorker(redisServer.target, { timelineMax: 5, pageSize: 100 }),
      ]);
      workers.push(...racing);
      const finished = await waitForJob(app, author.token, job.id);
      expect(finished.delivered).toBe(3_000);
      const seq = String(seqFromTweetId(tweet.id));
      const followers = await followerIds(redis, author.user.id);
      const timelines = await Promise.all(followers.map((id) => redis.lRange(k().timeline(id), 0, -1)));
      expect(timelines.every((t) => t.length === 1 && t[0] === seq)).toBe(true);
      await expect.poll(async () => redis.xLen(lane), { timeout: 10_000 }).toBe(0);
      const done = (await publishedEvents(redis, job.id)).filter((e) => e.event === 'fanout:done');
      expect(done).toHaveLength(1);
      expect(await readBacklog(redis)).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('delivers to the followers at the time of posting: someone who follows later neither gets the tweet nor counts', async () => {
    const author = await signUp(app, 'punctual');
    const early = await signUp(app, 'came_before');
    const late = await signUp(app, 'came_after');
    await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 5 }).expect(200);
    await request(app).post('/api/follows').set(early.auth).send({ handle: 'punctual' }).expect(200);
    // No worker runs yet: the tweet is accepted, and the late follower arrives before its fan-out.
    const { tweet, job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'for those here now' }).expect(202)).body as {
      tweet: Tweet;
      job: Job;
    };
    expect(job).toMatchObject({ status: 'queued', total: 6 });
    await request(app).post('/api/follows').set(late.auth).send({ handle: 'punctual' }).expect(200);

    const worker = await startTestWorker(redisServer.target, { timelineMax: 5 });
    try {
      expect(await waitForJob(app, author.token, job.id)).toMatchObject({ delivered: 6, total: 6 });
    } finally {
      await worker.close();
    }
    const timelineOf = async (user: { auth: Record<string, string> }) =>
      ((await request(app).get('/api/timeline').set(user.auth).expect(200)).body.tweets as Tweet[]).map((t) => t.id);
    expect(await timelineOf(early)).toEqual([tweet.id]);
    expect(await timelineOf(late)).toEqual([]);
    expect(await readBacklog(redis)).toBe(0);
  });

  it('keeps home timelines capped at TIMELINE_MAX, newest first', async () => {
    const worker = await startTestWorker(redisServer.target, { timelineMax: 5 });
    try {
      const author = await signUp(app, 'chatty');
      const reader = await signUp(app, 'capped_reader');
      await request(app).post('/api/follows').set(reader.auth).send({ handle: 'chatty' }).expect(200);
      const ids: string[] = [];
      let lastJob = '';
      for (let i = 0; i < 8; i++) {
        const body = (
          await request(app)
            .post('/api/tweets')
            .set(author.auth)
            .send({ text: `tweet ${i}` })
            .expect(202)
        ).body;
        ids.push(body.tweet.id);
        lastJob = body.job.id;
      }
      await waitForJob(app, author.token, lastJob);
      await expect.poll(async () => (await request(app).get('/api/timeline').set(reader.auth)).body.tweets.length, { timeout: 10_000 }).toBe(5);
      const timeline = (await request(app).get('/api/timeline').set(reader.auth)).body.tweets as Tweet[];
      expect(timeline.map((t) => t.id)).toEqual(ids.slice(3).reverse());
      // Trimmed lazily: never past the trim point, and readers see exactly TIMELINE_MAX.
      expect(await redis.lLen(k().timeline(reader.user.id))).toBeLessThanOrEqual(timelineTrimAt(5));
      expect(await redis.lLen(k().timeline(author.user.id))).toBeLessThanOrEqual(timelineTrimAt(5));
    } finally {
      await worker.close();
    }
  });

  it('moves a malformed stream entry to dead letters without blocking the next job', async () => {
    const worker = await startTestWorker(redisServer.target, { timelineMax: 5 });
    try {
      const author = await signUp(app, 'after_poison');
      // On the lanes of the author's bucket, where the job below is queued too.
      const home = k().layout.bucketOf(author.user.id);
      await redis.xAdd(k().fanoutLanes(home).bulk, '*', { job: 'not-a-number' });
      await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 10 }).expect(200);
      const { job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'still flows' }).expect(202)).body;
      expect((await waitForJob(app, author.token, job.id)).delivered).toBe(10);
      const dead = (await redis.xRange(k().deadLetterStream(home), '-', '+')) ?? [];
      expect(dead.map((d) => d.message.job)).toContain('not-a-number');
    } finally {
      await worker.close();
    }
  });

  it("counts taking over a dead worker's chunk as an attempt", async () => {
    const author = await signUp(app, 'ghosted');
    await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 100 }).expect(200);
    const { job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'left behind' }).expect(202)).body;
    // A consumer that read the entry and died: it never sent a heartbeat.
    const lane = k().fanoutLanes(k().layout.bucketOf(author.user.id)).small;
    await redis.xGroupCreate(lane, keys.fanoutGroup, '0', { MKSTREAM: true }).catch(() => {});
    const read = await redis.xReadGroup(keys.fanoutGroup, 'ghost', { key: lane, id: '>' }, { COUNT: 100 });
    expect(JSON.stringify(read)).toContain(`"job":"${job.id}"`);

    const worker = await startTestWorker(redisServer.target, { timelineMax: 5, claimIdleMs: 100 });
    try {
      const finished = await waitForJob(app, author.token, job.id);
      expect(finished).toMatchObject({ delivered: 100, attempts: 2 });
    } finally {
      await worker.close();
    }
  });

  it('skips a follower whose timeline is damaged, and still delivers to everyone else exactly once', async () => {
    const worker = await startTestWorker(redisServer.target, { timelineMax: 5 });
    try {
      const author = await signUp(app, 'damaged_one');
      await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 50 }).expect(200);
      const followers = await followerIds(redis, author.user.id);
      await redis.set(k().timeline(followers[10]!), 'not a list');
      const { tweet, job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'mostly delivered' }).expect(202)).body;
      // A finished job shows what it did: the skipped follower is not counted in its total either.
      expect(await waitForJob(app, author.token, job.id)).toMatchObject({ delivered: 49, total: 49 });
      const seq = String(seqFromTweetId(tweet.id));
      for (const [i, id] of followers.entries()) {
        if (i !== 10) expect(await redis.lRange(k().timeline(id), 0, -1)).toEqual([seq]);
      }
      expect(await readBacklog(redis)).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('records the most tries a chunk needed, even when a stale copy of it reports after a later try', async () => {
    const author = await signUp(app, 'tried_twice');
    // 25 followers in every bucket: the chunk raced below takes three pages on either kind of Redis.
    const audience = 25 * k().layout.buckets;
    await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: audience }).expect(200);
    const { job } = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'raced by itself' }).expect(202)).body;
    const lane = k().fanoutLanes(k().layout.bucketOf(author.user.id)).small;
    const stored = ((await redis.xRange(lane, '-', '+')) ?? []).find((e) => e.message.job === job.id)!.message;
    const entry = fanoutEntrySchema.parse(stored);
    const [chunk, ...others] = entry.chunks;
    const common = { jobId: job.id, tweetSeq: entry.tweet, authorId: entry.author };
    const page = (of = chunk!) => deliverPage(redis, { ...common, chunk: of, timelineNewPayload: '{}', pageSize: 10, timelineMax: 5, inactiveBeforeMs: 0 });
    const report = (attempt: number, delivered: number, complete: boolean, of = chunk!) =>
      reportChunks(redis, {
        ...common,
        tweetId: tweetIdFromSeq(entry.tweet),
        attempt,
        progressIntervalMs: 250,
        worker: 'test',
        runStartedAt: 0,
        reports: [{ chunk: of, delivered, complete, skipped: 0 }],
      });
    // On a cluster the entry names a chunk in every other bucket too: a first try that nothing
    // disturbs delivers those.
    for (const other of others) {
      let done = await page(other);
      while (done.state === 'more') done = await page(other);
      expect(await report(1, done.delivered, true, other)).toBe('running');
    }
    // The second try writes a page; then the first, which was only stalled, writes the rest.
    const first = await page();
    expect(first).toMatchObject({ state: 'more', delivered: 10 });
    expect(await report(2, first.delivered, false)).toBe('running');
    expect((await page()).state).toBe('more');
    const last = await page();
    expect(last).toMatchObject({ state: 'chunk-done', delivered: 25 });
    expect(await report(1, last.delivered, true)).toBe('job-done');
    // A repeat of a report changes nothing: still one done, counted once.
    expect(await report(1, last.delivered, true)).toBe('job-done');
    expect(await waitForJob(app, author.token, job.id)).toMatchObject({ delivered: audience, attempts: 2 });
    expect((await publishedEvents(redis, job.id)).filter((e) => e.event === 'fanout:done')).toHaveLength(1);
  });
});
