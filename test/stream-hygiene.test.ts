import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { JOB_RETENTION_S, keys } from '@ripple/shared';
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

describe('after thousands of jobs', () => {
  it('leaves no stream entry, pending entry or retry behind, and every job record expiring', async () => {
    const { app, redis, close } = await createTestApp(redisServer.url);
    const worker = await startTestWorker(redisServer.url);
    try {
      const authors = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp(app, `hygiene_${i}`)));
      for (const a of authors) await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 5 }).expect(200);
      const jobIds: string[] = [];
      for (let round = 0; round < 100; round++) {
        const posted = await Promise.all(authors.map((a) => request(app).post('/api/tweets').set(a.auth).send({ text: `r${round}` }).expect(202)));
        jobIds.push(...posted.map((r) => r.body.job.id as string));
      }
      expect(jobIds).toHaveLength(2_000);

      await expect.poll(async () => Number(await redis.get(keys.backlog)), { timeout: 30_000 }).toBe(0);
      for (const lane of [keys.fanoutLanes.small, keys.fanoutLanes.bulk]) {
        await expect.poll(async () => redis.xLen(lane), { timeout: 5_000 }).toBe(0);
        expect((await redis.xPending(lane, keys.fanoutGroup)).pending).toBe(0);
      }
      expect(await redis.zCard(keys.retrySchedule)).toBe(0);
      // Deleted entries free their stream nodes: the stream stays small however many jobs passed.
      const streamBytes = Number(await redis.memoryUsage(keys.fanoutLanes.small));
      expect(streamBytes).toBeGreaterThan(0);
      expect(streamBytes).toBeLessThan(4_096);

      const ttls = await Promise.all(jobIds.map((id) => redis.ttl(keys.job(id))));
      expect(ttls.every((t) => t > JOB_RETENTION_S - 120 && t <= JOB_RETENTION_S)).toBe(true);
      const statuses = await Promise.all(jobIds.map((id) => redis.hGet(keys.job(id), 'status')));
      expect(new Set(statuses)).toEqual(new Set(['done']));
    } finally {
      await worker.close();
      await close();
    }
  });
});
