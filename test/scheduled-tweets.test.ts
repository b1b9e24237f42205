import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { fanoutEntryField, seqFromTweetId, statsField, type Job, type PostTweetResponse, type Tweet } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readCounters } from '../server/src/store/bucket-totals.js';
import { publishDueTweets, publishScheduledTweet } from '../worker/src/publish-scheduled.js';
import { waitForJob } from './support/jobs.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, createTestApp, startTestWorker } from './support/ripple.js';
import { publishedEvents } from './support/streams.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let close: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  ({ app, redis, close } = await createTestApp(redisServer.target));
});
afterAll(async () => {
  await close();
  await redisServer.stop();
});

type Auth = { Authorization: string };
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

async function schedule(auth: Auth, text: string, publishAt: string, idempotencyKey?: string): Promise<PostTweetResponse> {
  const req = request(app).post('/api/tweets').set(auth);
  if (idempotencyKey) void req.set('Idempotency-Key', idempotencyKey);
  const res = await req.send({ text, publishAt }).expect(202);
  return res.body as PostTweetResponse;
}

const timelineIds = async (auth: Auth) => ((await request(app).get('/api/timeline').set(auth).expect(200)).body as { tweets: Tweet[] }).tweets.map((t) => t.id);
const scheduledIds = async (auth: Auth) =>
  ((await request(app).get('/api/me/scheduled').set(auth).expect(200)).body as { tweets: Tweet[] }).tweets.map((t) => t.id);

/** An author with one real follower, each in a fresh pair of accounts. */
async function authorWithFollower(name: string) {
  const author = await signUp(app, `${name}_a`);
  const follower = await signUp(app, `${name}_f`);
  await request(app).post('/api/follows').set(follower.auth).send({ handle: author.user.handle }).expect(200);
  return { author, follower };
}

/** Waits on the wall clock until `iso` has passed by `marginMs`. */
const until = (iso: string, marginMs = 50) => delay(Math.max(0, Date.parse(iso) - Date.now() + marginMs));

describe('POST /api/tweets with publishAt', () => {
  it.each([
    ['too soon', () => inMs(1_000), 'at least 5 seconds'],
    ['in the past', () => inMs(-60_000), 'at least 5 seconds'],
    ['too far', () => inMs(31 * 24 * 3600_000), 'at most 30 days'],
    ['without a time zone', () => '2030-01-01T10:00:00', 'ISO-8601'],
    ['not a date', () => 'tomorrow', 'ISO-8601'],
    ['a number', () => Date.now() + 60_000, 'publishAt'],
  ])('refuses a publishAt %s with 400 naming the field, writing nothing', async (_what, publishAt, says) => {
    const { auth } = await signUp(app, `bad_${Math.random().toString(36).slice(2, 8)}`);
    const res = await request(app).post('/api/tweets').set(auth).send({ text: 'when?', publishAt: publishAt() });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('publishAt');
    expect(res.body.error.message).toContain(says);
    expect(await scheduledIds(auth)).toEqual([]);
  });

  it('accepts 5 s to 30 days ahead: the job reads scheduled, the tweet carries publishAt as its createdAt', async () => {
    const { author } = await authorWithFollower('sched');
    const publishAt = inMs(30 * 24 * 3600_000 - 60_000);
    const { tweet, job } = await schedule(author.auth, 'next month', publishAt);
    expect(tweet).toEqual({ id: expect.any(String), text: 'next month', createdAt: publishAt, publishAt, author: { id: author.user.id, handle: 'sched_a' } });
    expect(job).toMatchObject({ tweetId: tweet.id, status: 'scheduled', delivered: 0, total: 0, kind: 'post' });
    const read = (await request(app).get(`/api/jobs/${job.id}`).set(author.auth).expect(200)).body as { job: Job };
    expect(read.job.status).toBe('scheduled');
    // The id sorts at its publish time: after every tweet posted now.
    const now = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'now' }).expect(202)).body as PostTweetResponse;
    expect(tweet.id > now.tweet.id).toBe(true);
  });
});

describe('a scheduled tweet before its time', () => {
  it('is seen by its author only, and is in nobody’s timeline, nor in its author’s tweets', async () => {
    const { author, follower } = await authorWithFollower('hidden');
    const { tweet } = await schedule(author.auth, 'secret for now', inMs(3_600_000));
    const mine = await request(app).get(`/api/tweets/${tweet.id}`).set(author.auth).expect(200);
    expect(mine.body.tweet).toEqual(tweet);
    const theirs = await request(app).get(`/api/tweets/${tweet.id}`).set(follower.auth);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect(await timelineIds(author.auth)).not.toContain(tweet.id);
    expect(await timelineIds(follower.auth)).not.toContain(tweet.id);
    const own = await request(app).get(`/api/users/${author.user.handle}/tweets`).set(follower.auth).expect(200);
    expect((own.body as { tweets: Tweet[] }).tweets).toEqual([]);
  });

  it('is listed for its author by GET /api/me/scheduled, soonest first, and for nobody else', async () => {
    const { author, follower } = await authorWithFollower('listed');
    const later = await schedule(author.auth, 'in two hours', inMs(7_200_000));
    const soon = await schedule(author.auth, 'in a minute', inMs(60_000));
    const middle = await schedule(author.auth, 'in an hour', inMs(3_600_000));
    const res = await request(app).get('/api/me/scheduled').set(author.auth).expect(200);
    expect(res.body).toEqual({ tweets: [soon.tweet, middle.tweet, later.tweet] });
    expect(await scheduledIds(follower.auth)).toEqual([]);
  });

  it('is cancelled by DELETE (200), never published; again is 404, and another user gets 403', async () => {
    const { author, follower } = await authorWithFollower('cancel');
    const { tweet, job } = await schedule(author.auth, 'never mind', inMs(5_500));
    expect((await request(app).delete(`/api/tweets/${tweet.id}`).set(follower.auth)).status).toBe(403);
    const res = await request(app).delete(`/api/tweets/${tweet.id}`).set(author.auth).expect(200);
    expect(res.body).toEqual({ cancelled: true });
    const again = await request(app).delete(`/api/tweets/${tweet.id}`).set(author.auth);
    expect(again.status).toBe(404);
    expect((await request(app).get(`/api/tweets/${tweet.id}`).set(author.auth)).status).toBe(404);
    expect((await request(app).get(`/api/jobs/${job.id}`).set(author.auth)).status).toBe(404);
    expect(await scheduledIds(author.auth)).toEqual([]);
    // Past its time, nothing publishes it.
    await until(tweet.publishAt!);
    const k = keysOf(redis);
    expect(await publishDueTweets(redis, k.layout.bucketOf(author.user.id), 800)).toBe(0);
    expect(await publishScheduledTweet(redis, String(seqFromTweetId(tweet.id)), 800)).toBe('gone');
    expect(await timelineIds(author.auth)).not.toContain(tweet.id);
    expect(await timelineIds(follower.auth)).not.toContain(tweet.id);
  });
});

describe('Idempotency-Key with publishAt', () => {
  it('answers the same tweet and job to the same body, even racing, and 422 to another publishAt', async () => {
    const author = await signUp(app, 'idem_sched');
    const publishAt = inMs(600_000);
    const answers = await Promise.all(Array.from({ length: 4 }, () => schedule(author.auth, 'once', publishAt, 'key-1')));
    expect(new Set(answers.map((a) => a.tweet.id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.job.id)).size).toBe(1);
    expect(answers[0]!.tweet.publishAt).toBe(publishAt);
    expect(await scheduledIds(author.auth)).toEqual([answers[0]!.tweet.id]);
    const other = await request(app)
      .post('/api/tweets')
      .set(author.auth)
      .set('Idempotency-Key', 'key-1')
      .send({ text: 'once', publishAt: inMs(700_000) });
    expect(other.status).toBe(422);
    // A body without publishAt is another body too.
    expect((await request(app).post('/api/tweets').set(author.auth).set('Idempotency-Key', 'key-1').send({ text: 'once' })).status).toBe(422);
    // Once cancelled, the key answers that its tweet is gone, and schedules nothing again.
    await request(app).delete(`/api/tweets/${answers[0]!.tweet.id}`).set(author.auth).expect(200);
    const repeat = await request(app).post('/api/tweets').set(author.auth).set('Idempotency-Key', 'key-1').send({ text: 'once', publishAt });
    expect(repeat.status).toBe(404);
    expect(repeat.body.error.code).toBe('not_found');
    expect(await scheduledIds(author.auth)).toEqual([]);
  });
});

describe('publishing', () => {
  it('publishes at its time: createdAt is that time, it sorts as the newest tweet of that moment, and reaches every follower once', async () => {
    const { author, follower } = await authorWithFollower('publish');
    const publishAt = inMs(5_300);
    const { tweet, job } = await schedule(author.auth, 'on time', publishAt);
    const before = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'posted before its time' }).expect(202)).body as PostTweetResponse;
    const worker = await startTestWorker(redisServer.target);
    try {
      await until(publishAt, 0);
      const done = await waitForJob(app, author.token, job.id, 'done', { timeoutMs: 10_000 });
      expect(done).toMatchObject({ tweetId: tweet.id, delivered: 1, total: 1 });
      // Published by its time plus a worker's look at the schedule (every 250 ms).
      expect(Date.parse(done.enqueuedAt) - Date.parse(publishAt)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(done.enqueuedAt) - Date.parse(publishAt)).toBeLessThan(3_000);
      const after = (await request(app).post('/api/tweets').set(author.auth).send({ text: 'posted after it' }).expect(202)).body as PostTweetResponse;

      const published = (await request(app).get(`/api/tweets/${tweet.id}`).set(follower.auth).expect(200)).body as { tweet: Tweet };
      expect(published.tweet).toEqual({ id: tweet.id, text: 'on time', createdAt: publishAt, author: tweet.author });
      await waitForJob(app, author.token, after.job.id, 'done');
      for (const auth of [author.auth, follower.auth]) expect(await timelineIds(auth)).toEqual([after.tweet.id, tweet.id, before.tweet.id]);
      expect(await scheduledIds(author.auth)).toEqual([]);
      // Cancelling is over once it is published: it is then an ordinary tweet, deleted by a delete
      // job that reaches the followers it was published to.
      const deleted = await request(app).delete(`/api/tweets/${tweet.id}`).set(author.auth).expect(202);
      const deleteJob = (deleted.body as { job: Job }).job;
      expect(deleteJob).toMatchObject({ kind: 'delete', tweetId: tweet.id });
      expect(await waitForJob(app, author.token, deleteJob.id, 'done', { timeoutMs: 10_000 })).toMatchObject({ delivered: 1, total: 1 });
      expect((await request(app).get(`/api/tweets/${tweet.id}`).set(author.auth)).status).toBe(404);
      for (const auth of [author.auth, follower.auth]) expect(await timelineIds(auth)).toEqual([after.tweet.id, before.tweet.id]);
      expect((await request(app).delete(`/api/tweets/${tweet.id}`).set(author.auth)).status).toBe(404);
    } finally {
      await worker.close();
    }
  });

  it('publishes once when many workers race for it, and a published tweet is gone for the others', async () => {
    const { author } = await authorWithFollower('race');
    const { tweet, job } = await schedule(author.auth, 'raced for', inMs(5_100));
    const seq = String(seqFromTweetId(tweet.id));
    const k = keysOf(redis);
    const bucket = k.layout.bucketOf(author.user.id);
    expect(await publishScheduledTweet(redis, seq, 800)).toBe('not-due');
    const sentBefore = (await readCounters(redis))[statsField.delivery('fan-out')] ?? 0;
    await until(tweet.publishAt!);
    // Eight workers' connections, each publishing the bucket's due tweets at the same moment.
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectedClient(redisServer.target)));
    try {
      const published = await Promise.all(clients.map((client) => publishDueTweets(client, bucket, 800)));
      expect(published.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await publishScheduledTweet(redis, seq, 800)).toBe('gone');
      // In the dashboard's delivery mix once, as it is published.
      expect((await readCounters(redis))[statsField.delivery('fan-out')]).toBe(sentBefore + 1);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
    const lanes = k.fanoutLanes(bucket);
    const entries = [...((await redis.xRange(lanes.small, '-', '+')) ?? []), ...((await redis.xRange(lanes.bulk, '-', '+')) ?? [])];
    expect(entries.filter((e) => e.message[fanoutEntryField.job] === job.id)).toHaveLength(1);
    expect((await publishedEvents(redis, job.id)).filter((e) => e.event === 'tweet:published')).toHaveLength(1);
    expect((await redis.lRange(k.timeline(author.user.id), 0, -1)).filter((id) => id === seq)).toHaveLength(1);
    expect(await redis.zRange(k.userTweets(author.user.id), 0, -1)).toEqual([seq]);
  });
});
