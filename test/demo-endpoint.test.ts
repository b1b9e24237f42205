import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { onSingleRedis, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp } from './support/ripple.js';
import { followerIds } from './support/timelines.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let node: Awaited<ReturnType<typeof createTestApp>>;

const MAX_FOLLOWERS = 150_000;
const PER_MINUTE = 4;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  node = await createTestApp(redisServer.target, { demoMaxFollowers: MAX_FOLLOWERS, syntheticPerMinute: PER_MINUTE });
});
afterAll(async () => {
  await node.close();
  await redisServer.stop();
});

const addSynthetic = (auth: Record<string, string>, count: number) => request(node.app).post('/api/me/followers/synthetic').set(auth).send({ count });

describe('synthetic followers (demo)', () => {
  it.runIf(onSingleRedis)('adds 100 000 well under 5 s, with no Redis command taking 50 ms or more', async () => {
    const { auth, user } = await signUp(node.app, 'slices');
    await node.redis.sendCommand(['CONFIG', 'SET', 'slowlog-log-slower-than', '50000']);
    await node.redis.sendCommand(['SLOWLOG', 'RESET']);
    const started = performance.now();
    await addSynthetic(auth, 100_000).expect(200);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(await node.redis.sendCommand(['SLOWLOG', 'GET', '10'])).toEqual([]);
    expect(await followerIds(node.redis, user.id)).toHaveLength(100_000);
  });

  it('refuses with 400, adding none, a request that would pass RIPPLE_DEMO_MAX_FOLLOWERS in all', async () => {
    const { auth, user } = await signUp(node.app, 'capped');
    await addSynthetic(auth, MAX_FOLLOWERS - 10).expect(200);
    const refused = await addSynthetic(auth, 11).expect(400);
    expect(refused.body.error).toEqual({ code: 'invalid_request', message: expect.stringMatching(/^count: .*RIPPLE_DEMO_MAX_FOLLOWERS/) });
    expect(await followerIds(node.redis, user.id)).toHaveLength(MAX_FOLLOWERS - 10);
    expect((await addSynthetic(auth, 10).expect(200)).body.user.followers).toBe(MAX_FOLLOWERS);
  });

  it('never passes the total, even for racing requests', async () => {
    const { auth, user } = await signUp(node.app, 'racing_demo');
    const answers = await Promise.all([1, 2, 3].map(() => addSynthetic(auth, 60_000)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 400]);
    expect(await followerIds(node.redis, user.id)).toHaveLength(120_000);
  });

  it(`limits each account to ${PER_MINUTE} requests a minute, with Retry-After`, async () => {
    const { auth } = await signUp(node.app, 'eager_demo');
    for (let i = 0; i < PER_MINUTE; i++) await addSynthetic(auth, 1).expect(200);
    const limited = await addSynthetic(auth, 1).expect(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('is not there with RIPPLE_DEMO=0', async () => {
    const off = await createTestApp(redisServer.target, { demo: false });
    try {
      const { auth } = await signUp(off.app, 'no_demo');
      expect((await request(off.app).post('/api/me/followers/synthetic').set(auth).send({ count: 1 })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
