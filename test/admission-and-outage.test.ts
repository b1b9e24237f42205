import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { keys } from '@ripple/shared';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { createTestApp, signUp } from './support/ripple.js';

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
      expect(await redis.xLen(keys.fanoutStream)).toBe(1);

      // Once the backlog drains, the same key is accepted as a new tweet.
      await redis.set(keys.backlog, 0);
      const accepted = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'later').send({ text: 'second' }).expect(202);
      expect(accepted.body.tweet.text).toBe('second');
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
      // Redis restarted empty (no AOF here), so the user is gone: the token is now refused, not a 500.
      expect((await request(app).get('/api/me').set(a.auth)).status).toBe(401);
      await signUp(app, 'after_outage');
    } finally {
      await close();
      await own.stop();
    }
  });
});
