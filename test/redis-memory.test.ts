import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { setTimeout as delay } from 'node:timers/promises';
import { keysOf } from '@ripple/shared/node';
import { readJob, waitForJob } from './support/jobs.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';

// A Redis at its maxmemory (noeviction) refuses writes with OOM. A single redis-server is
// enough: the rule is the same on every master.
let redisServer: TestRedis;
let node: Awaited<ReturnType<typeof createTestApp>>;

/** Any write now needs more memory than is allowed: the tiniest maxmemory there is. */
const refuseWrites = () => node.redis.sendCommand(['CONFIG', 'SET', 'maxmemory', '1']);
const allowWrites = () => node.redis.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);

beforeAll(async () => {
  redisServer = await startRedis();
  node = await createTestApp(redisServer.url);
  await node.redis.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
});
afterAll(async () => {
  await node.close();
  await redisServer.stop();
});

describe('a Redis out of memory', () => {
  it('makes writes answer 503 unavailable with Retry-After, writing nothing, while reads still answer', async () => {
    const a = await signUp(node.app, 'memory_poster');
    const tweetsBefore = await node.redis.zCard(keysOf(node.redis).userTweets(a.user.id));
    await refuseWrites();
    try {
      for (const res of [
        await request(node.app).post('/api/tweets').set(a.auth).send({ text: 'no room' }),
        await request(node.app).post('/api/users').send({ handle: 'memory_newbie', password: 'long enough' }),
        await request(node.app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 10 }),
      ]) {
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('unavailable');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      await request(node.app).get('/api/me').set(a.auth).expect(200);
    } finally {
      await allowWrites();
    }
    expect(await node.redis.zCard(keysOf(node.redis).userTweets(a.user.id))).toBe(tweetsBefore);
    await request(node.app).post('/api/tweets').set(a.auth).send({ text: 'room again' }).expect(202);
  });

  it('makes workers wait and retry, counting no attempt and dead-lettering nothing, until there is room', async () => {
    const a = await signUp(node.app, 'memory_author');
    await request(node.app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 3_000 }).expect(200);
    const { job } = (await request(node.app).post('/api/tweets').set(a.auth).send({ text: 'waits for room' }).expect(202)).body;
    await refuseWrites();
    const worker = await startTestWorker(redisServer.url, { maxAttempts: 2, retryBaseMs: 50, claimIdleMs: 300 });
    try {
      await delay(2_000);
      await allowWrites();
      const done = await waitForJob(node.app, a.token, job.id, (j) => j.status !== 'queued' && j.status !== 'running');
      expect(done).toMatchObject({ status: 'done', delivered: 3_000, total: 3_000, attempts: 1, error: null });
      expect(await readJob(node.app, a.token, job.id)).toMatchObject({ status: 'done' });
    } finally {
      await allowWrites();
      await worker.close();
    }
  });
});
