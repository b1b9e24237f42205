import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { keys } from '@ripple/shared';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';

let redisServer: TestRedis;
beforeAll(async () => {
  redisServer = await startRedis();
});
afterAll(async () => {
  await redisServer.stop();
});

describe('admission control', () => {
  it('refuses with 503 overloaded and Retry-After once the backlog is over the limit, writing nothing', async () => {
    const { app, redis, close } = await createTestApp(redisServer.url, { fanoutMaxBacklog: 5 });
    try {
      const a = await signUp(app, 'celebrity');
      await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 10 }).expect(200);
      await request(app).post('/api/tweets').set(a.auth).send({ text: 'first' }).expect(202);
      expect(Number(await redis.get(keys.backlog))).toBe(10);

      const tweetSeqBefore = await redis.get(keys.seq.tweet);
      const refused = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'later').send({ text: 'second' });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('overloaded');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(await redis.get(keys.seq.tweet)).toBe(tweetSeqBefore);
      expect(await redis.zCard(keys.userTweets(a.user.id))).toBe(1);
      expect(await redis.exists(keys.idempotency(a.user.id, 'later'))).toBe(0);
      expect(await redis.xLen(keys.fanoutLanes.small)).toBe(1);

      // Once the backlog drains, the same key is accepted as a new tweet.
      await redis.set(keys.backlog, 0);
      const accepted = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'later').send({ text: 'second' }).expect(202);
      expect(accepted.body.tweet.text).toBe('second');
    } finally {
      await close();
    }
  });
});

describe('admission under concurrency', () => {
  it('admits concurrent posts up to the backlog bound, refuses the rest cleanly, and delivers every accepted one', async () => {
    const own = await startRedis();
    const { app, redis, close } = await createTestApp(own.url, { fanoutMaxBacklog: 1_000 });
    try {
      const a = await signUp(app, 'crowded');
      await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 100 }).expect(200);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', `k${i}`).send({ text: `t${i}` })),
      );
      const accepted = results.filter((r) => r.status === 202);
      const refused = results.filter((r) => r.status === 503);
      // Admitted while the backlog is at or under 1 000: 0, 100, …, 1 000 → 11 jobs; never more than one job over.
      expect(accepted).toHaveLength(11);
      expect(refused).toHaveLength(39);
      expect(Number(await redis.get(keys.backlog))).toBe(1_100);
      for (const r of refused) {
        expect(r.body.error.code).toBe('overloaded');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      expect(await redis.zCard(keys.userTweets(a.user.id))).toBe(11);
      expect(await redis.lLen(keys.timeline(a.user.id))).toBe(11);
      const refusedKeys = results.map((r, i) => (r.status === 503 ? `k${i}` : null)).filter((k): k is string => k !== null);
      expect(await Promise.all(refusedKeys.map((k) => redis.exists(keys.idempotency(a.user.id, k))))).toEqual(refusedKeys.map(() => 0));

      const worker = await startTestWorker(own.url);
      try {
        await expect.poll(async () => Number(await redis.get(keys.backlog)), { timeout: 10_000 }).toBe(0);
        for (const r of accepted) {
          expect((await request(app).get(`/api/jobs/${r.body.job.id}`).set(a.auth)).body.job).toMatchObject({ status: 'done', delivered: 100 });
        }
        const metrics = (await request(app).get('/metrics')).text;
        expect(metrics).toMatch(/^ripple_tweets_accepted_total 11$/m);
        expect(metrics).toMatch(/^ripple_tweets_refused_total\{reason="overloaded"\} 39$/m);
        expect(metrics).toMatch(/^ripple_deliveries_total 1100$/m);
        expect(metrics).toMatch(/^ripple_fanout_duration_seconds_count 11$/m);
        expect(metrics).toMatch(/^ripple_fanout_duration_seconds_bucket\{le="\+Inf"\} 11$/m);
      } finally {
        await worker.close();
      }
    } finally {
      await close();
      await own.stop();
    }
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After past the per-user posting limit, across server nodes', async () => {
    const nodeA = await createTestApp(redisServer.url, { tweetsPerMinute: 3 });
    const nodeB = await createTestApp(redisServer.url, { tweetsPerMinute: 3 });
    try {
      const a = await signUp(nodeA.app, 'limited_poster');
      await request(nodeA.app).post('/api/tweets').set(a.auth).send({ text: '1' }).expect(202);
      await request(nodeB.app).post('/api/tweets').set(a.auth).send({ text: '2' }).expect(202);
      await request(nodeA.app).post('/api/tweets').set(a.auth).send({ text: '3' }).expect(202);
      const limited = await request(nodeB.app).post('/api/tweets').set(a.auth).send({ text: '4' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      const wait = Number(limited.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      expect(await nodeA.redis.zCard(keys.userTweets(a.user.id))).toBe(3);
      // Another user's budget is their own.
      const b = await signUp(nodeB.app, 'other_poster');
      await request(nodeB.app).post('/api/tweets').set(b.auth).send({ text: 'mine' }).expect(202);
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
  });

  it('answer 429 to repeated sign-in attempts for one handle, even with the right password', async () => {
    const { app, close } = await createTestApp(redisServer.url, { signInsPerMinute: 2 });
    try {
      await signUp(app, 'guarded', 'the-password');
      await request(app).post('/api/sessions').send({ handle: 'guarded', password: 'wrong-guess' }).expect(401);
      await request(app).post('/api/sessions').send({ handle: 'guarded', password: 'wrong-guess2' }).expect(401);
      const limited = await request(app).post('/api/sessions').send({ handle: 'GUARDED', password: 'the-password' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await close();
    }
  });
});

describe('demo endpoints', () => {
  it('answer 404 when RIPPLE_DEMO is 0', async () => {
    const { app, close } = await createTestApp(redisServer.url, { demo: false });
    try {
      const a = await signUp(app, 'no_demo');
      const res = await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 10 });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    } finally {
      await close();
    }
  });
});

describe('Redis outage', () => {
  it('answers 503 unavailable with Retry-After while Redis is down, and recovers by itself', async () => {
    const own = await startRedis();
    const { app, close } = await createTestApp(own.url);
    try {
      const a = await signUp(app, 'survivor');
      await own.kill();
      const down = await request(app).get('/api/me').set(a.auth);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
      expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const post = await request(app).post('/api/tweets').set(a.auth).send({ text: 'lost?' });
      expect(post.status).toBe(503);
      expect((await request(app).get('/healthz')).status).toBe(503);

      await own.restart();
      await expect.poll(async () => (await request(app).get('/healthz')).status, { timeout: 10_000, interval: 100 }).toBe(200);
      // Redis restarted empty (no AOF here): a new user gets the old user's id, and the old token
      // must not open the new account.
      const newcomer = await signUp(app, 'after_outage');
      expect(newcomer.user.id).toBe(a.user.id);
      await expect.poll(async () => (await request(app).get('/api/me').set(a.auth)).status).toBe(401);
      const session = await request(app).post('/api/sessions').send({ handle: 'after_outage', password: 'correct horse' }).expect(200);
      const me = await request(app).get('/api/me').set('Authorization', `Bearer ${session.body.token}`).expect(200);
      expect(me.body.user.handle).toBe('after_outage');
    } finally {
      await close();
      await own.stop();
    }
  });
});
