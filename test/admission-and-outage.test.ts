import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { keysOf } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { watchDashboard, type DashboardWatch } from './support/dashboard.js';
import { waitForJob } from './support/jobs.js';
import { spawnWorker, type RippleProcess } from './support/processes.js';
import { killRedisUnderTest, onSingleRedis, restartRedisUnderTest, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, createTestApp, startTestServer, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
beforeAll(async () => {
  redisServer = await startRedisUnderTest();
});
afterAll(async () => {
  await redisServer.stop();
});

describe('admission control', () => {
  it('refuses with 503 overloaded and Retry-After once the backlog is at its bound, writing nothing', async () => {
    const { app, redis, close } = await createTestApp(redisServer.target, { fanoutMaxSmallBacklog: 5 });
    try {
      const a = await signUp(app, 'celebrity');
      await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 10 }).expect(200);
      await request(app).post('/api/tweets').set(a.auth).send({ text: 'first' }).expect(202);
      expect(await readBacklog(redis)).toBe(10);

      const bucket = keysOf(redis).layout.bucketOf(a.user.id);
      const tweetSeqBefore = await redis.get(keysOf(redis).tweetSeq(bucket));
      const refused = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'later').send({ text: 'second' });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('overloaded');
      // No worker has delivered anything: nothing is draining.
      expect(refused.headers['retry-after']).toBe('10');
      expect(await redis.get(keysOf(redis).tweetSeq(bucket))).toBe(tweetSeqBefore);
      expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(1);
      expect(await redis.exists(keysOf(redis).idempotency(a.user.id, 'later'))).toBe(0);
      expect(await redis.xLen(keysOf(redis).fanoutLanes(bucket).small)).toBe(1);

      // Once the backlog drains, the same key is accepted as a new tweet.
      await redis.set(keysOf(redis).smallBacklog(bucket), 0);
      const accepted = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'later').send({ text: 'second' }).expect(202);
      expect(accepted.body.tweet.text).toBe('second');
    } finally {
      await close();
    }
  });

  it('gives the same Retry-After on every node: the excess backlog over the deliveries of the last 10 s, from the shared counters', async () => {
    const MAX_BACKLOG = 1_000_000;
    /** With this many more outstanding, 6 000 deliveries must drain before a tweet is admitted. */
    const EXCESS = 5_999;
    const own = await startRedisUnderTest();
    const redis = await connectedClient(own.target);
    // A worker process runs on the real clock; the nodes below run on one the test turns.
    const worker: RippleProcess = await spawnWorker(own.target);
    // Each node reads the shared counters once a second (setInterval) and dates each reading
    // with Date.now(). Turning both by hand, a second at a time, makes every window exact.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const nodes: Awaited<ReturnType<typeof startTestServer>>[] = [];
    const dashboards: DashboardWatch[] = [];
    try {
      for (let i = 0; i < 2; i++) nodes.push(await startTestServer(own.target, { fanoutMaxSmallBacklog: MAX_BACKLOG }));
      dashboards.push(...nodes.map((n) => watchDashboard(n.url)));
      const source = await signUp(nodes[0]!.url, 'drain_source');
      const asker = await signUp(nodes[1]!.url, 'drain_asker');
      await request(nodes[0]!.url).post('/api/me/followers/synthetic').set(source.auth).send({ count: 10_000 }).expect(200);
      // A tweet nobody would receive adds no work, and no bound refuses it.
      await request(nodes[1]!.url).post('/api/me/followers/synthetic').set(asker.auth).send({ count: 1 }).expect(200);

      /** Lets `seconds` pass on the nodes' clock, and waits until each node has taken its readings. */
      const pass = async (seconds: number) => {
        for (let i = 0; i < seconds; i++) {
          vi.advanceTimersByTime(1000);
          await Promise.all(dashboards.map((d) => d.reached(Date.now())));
        }
      };
      /** Delivers 10 000 timelines per tweet, through the worker, and waits until they are all done. */
      const deliver = async (tweets: number) => {
        for (let i = 0; i < tweets; i++) {
          const { job } = (
            await request(nodes[0]!.url)
              .post('/api/tweets')
              .set(source.auth)
              .send({ text: `drain ${i}` })
              .expect(202)
          ).body;
          expect((await waitForJob(nodes[0]!.url, source.token, job.id, 'done')).delivered).toBe(10_000);
        }
      };
      /** What each node answers a small tweet while the small tweets' backlog is EXCESS over its bound. */
      const retryAfters = async () => {
        const askersBacklog = keysOf(redis).smallBacklog(keysOf(redis).layout.bucketOf(asker.user.id));
        await redis.incrBy(askersBacklog, MAX_BACKLOG + EXCESS);
        const refusals = await Promise.all(nodes.map((n) => request(n.url).post('/api/tweets').set(asker.auth).send({ text: 'may I?' })));
        await redis.decrBy(askersBacklog, MAX_BACKLOG + EXCESS);
        expect(refusals.map((r) => [r.status, r.body.error?.code])).toEqual([
          [503, 'overloaded'],
          [503, 'overloaded'],
        ]);
        return refusals.map((r) => Number(r.headers['retry-after']));
      };

      await Promise.all(dashboards.map((d) => d.reached(Date.now())));
      // One reading is no rate yet: the 10 s of "nothing is draining".
      expect(await retryAfters()).toEqual([10, 10]);

      await deliver(1);
      await pass(10);
      // 10 000 deliveries in the last 10 s: 1 000/s, so 6 000 over the limit is 6 s away.
      expect(await retryAfters()).toEqual([6, 6]);

      await deliver(2);
      await pass(10);
      // Only the last 10 s count: 20 000 in them is 2 000/s (all 30 000 over 20 s would say 4 s).
      expect(await retryAfters()).toEqual([3, 3]);

      await pass(10);
      // Nothing delivered in the last 10 s: nothing is draining.
      expect(await retryAfters()).toEqual([10, 10]);
    } finally {
      vi.useRealTimers();
      for (const d of dashboards) d.close();
      await Promise.all(nodes.map((n) => n.close()));
      await worker.stop();
      await redis.close();
      await own.stop();
    }
  });
});

describe('admission under concurrency', () => {
  it('admits concurrent posts up to the backlog bound, refuses the rest cleanly, and delivers every accepted one', async () => {
    const own = await startRedisUnderTest();
    const { app, redis, close } = await createTestApp(own.target, { fanoutMaxSmallBacklog: 1_000 });
    try {
      const a = await signUp(app, 'crowded');
      await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 100 }).expect(200);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          request(app)
            .post('/api/tweets')
            .set(a.auth)
            .set('Idempotency-Key', `k${i}`)
            .send({ text: `t${i}` }),
        ),
      );
      const accepted = results.filter((r) => r.status === 202);
      const refused = results.filter((r) => r.status === 503);
      // Admitted while the backlog is below 1 000: at 0, 100, …, 900 → 10 jobs; never more than one job past it.
      expect(accepted).toHaveLength(10);
      expect(refused).toHaveLength(40);
      expect(await readBacklog(redis)).toBe(1_000);
      for (const r of refused) {
        expect(r.body.error.code).toBe('overloaded');
        // No worker runs yet: nothing is draining.
        expect(r.headers['retry-after']).toBe('10');
      }
      expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(10);
      expect(await redis.lLen(keysOf(redis).timeline(a.user.id))).toBe(10);
      const refusedKeys = results.map((r, i) => (r.status === 503 ? `k${i}` : null)).filter((k): k is string => k !== null);
      expect(await Promise.all(refusedKeys.map((k) => redis.exists(keysOf(redis).idempotency(a.user.id, k))))).toEqual(refusedKeys.map(() => 0));

      const worker = await startTestWorker(own.target);
      try {
        await expect.poll(async () => await readBacklog(redis), { timeout: 10_000 }).toBe(0);
        for (const r of accepted) {
          expect((await request(app).get(`/api/jobs/${r.body.job.id}`).set(a.auth)).body.job).toMatchObject({ status: 'done', delivered: 100 });
        }
        const metrics = (await request(app).get('/metrics')).text;
        expect(metrics).toMatch(/^ripple_tweets_accepted_total 10$/m);
        expect(metrics).toMatch(/^ripple_tweets_refused_total\{reason="overloaded"\} 40$/m);
        expect(metrics).toMatch(/^ripple_deliveries_total 1000$/m);
        expect(metrics).toMatch(/^ripple_fanout_duration_seconds_count 10$/m);
        expect(metrics).toMatch(/^ripple_fanout_duration_seconds_bucket\{le="\+Inf"\} 10$/m);
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
  // The limits count per clock minute. The nodes' clock stands still 20 s into a minute, so a
  // test's requests all fall in one window however slow the machine, and the wait is exact.
  const FROZEN_AT = Date.parse('2031-03-04T05:06:20.000Z');
  beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'], now: FROZEN_AT }));
  afterEach(() => void vi.useRealTimers());

  it('answer 429 with Retry-After past the per-user posting limit, across server nodes, counted as rate_limited', async () => {
    // A Redis of its own: the refusal counters in /metrics are this test's alone.
    const own = await startRedisUnderTest();
    const nodeA = await createTestApp(own.target, { tweetsPerMinute: 3 });
    const nodeB = await createTestApp(own.target, { tweetsPerMinute: 3 });
    try {
      const a = await signUp(nodeA.app, 'limited_poster');
      await request(nodeA.app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 2 }).expect(200);
      await request(nodeA.app).post('/api/tweets').set(a.auth).send({ text: '1' }).expect(202);
      await request(nodeB.app).post('/api/tweets').set(a.auth).send({ text: '2' }).expect(202);
      await request(nodeA.app).post('/api/tweets').set(a.auth).send({ text: '3' }).expect(202);
      const k = keysOf(nodeA.redis);
      const backlogBefore = await readBacklog(nodeA.redis);
      const limited = await request(nodeB.app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'over').send({ text: '4' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      // The window ends 40 s from now.
      expect(limited.headers['retry-after']).toBe('40');
      // Nothing else was written: no tweet, no idempotency record, no work counted.
      expect(await nodeA.redis.zCard(k.userTweets(a.user.id))).toBe(3);
      expect(await nodeA.redis.exists(k.idempotency(a.user.id, 'over'))).toBe(0);
      expect(await readBacklog(nodeA.redis)).toBe(backlogBefore);
      expect(await nodeA.redis.get(k.authorBacklog(a.user.id))).toBe('6');
      for (const node of [nodeA, nodeB]) {
        const metrics = (await request(node.app).get('/metrics').expect(200)).text;
        expect(metrics).toMatch(/^ripple_tweets_refused_total\{reason="rate_limited"\} 1$/m);
        expect(metrics).toMatch(/^ripple_tweets_refused_total\{reason="overloaded"\} 0$/m);
        expect(metrics).toMatch(/^ripple_tweets_accepted_total 3$/m);
      }
      // Another user's budget is their own.
      const b = await signUp(nodeB.app, 'other_poster');
      await request(nodeB.app).post('/api/tweets').set(b.auth).send({ text: 'mine' }).expect(202);
      // After the Retry-After, a new window: the same user may post again.
      vi.setSystemTime(FROZEN_AT + 40_000);
      await request(nodeA.app).post('/api/tweets').set(a.auth).send({ text: '5' }).expect(202);
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()]);
      await own.stop();
    }
  });

  it('count a repeat of an Idempotency-Key like any post, and refuse one over the limit', async () => {
    const { app, close } = await createTestApp(redisServer.target, { tweetsPerMinute: 2 });
    try {
      const a = await signUp(app, 'repeating_poster');
      const first = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'again').send({ text: 'once' }).expect(202);
      const repeat = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'again').send({ text: 'once' }).expect(202);
      expect(repeat.body.tweet.id).toBe(first.body.tweet.id);
      const limited = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'again').send({ text: 'once' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
    } finally {
      await close();
    }
  });
});

describe('demo endpoints', () => {
  it('answer 404 when RIPPLE_DEMO is 0', async () => {
    const { app, close } = await createTestApp(redisServer.target, { demo: false });
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
  // Pausing the one Redis's writes holds the admission script sent and unanswered, connection open.
  it.runIf(onSingleRedis)('answers 503 unavailable within 10 s while Redis holds a write unanswered; a retry with the same key is safe', async () => {
    const own = await startRedisUnderTest();
    const { app, redis, close } = await createTestApp(own.target);
    try {
      const a = await signUp(app, 'held_poster');
      await redis.clientPause(15_000, 'WRITE');
      const startedAt = Date.now();
      const held = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'held').send({ text: 'held' });
      const tookMs = Date.now() - startedAt;
      expect(held.status).toBe(503);
      expect(held.body).toEqual({ error: { code: 'unavailable', message: expect.stringContaining('same Idempotency-Key') } });
      expect(held.headers['retry-after']).toBe('2');
      // The contract's 10 s, with room for a loaded machine's timers.
      expect(tookMs).toBeLessThan(10_500);

      // The held write runs once Redis moves again; the retry answers it instead of posting twice.
      await redis.clientUnpause();
      const retried = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'held').send({ text: 'held' }).expect(202);
      expect(retried.body.tweet.text).toBe('held');
      expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(1);
    } finally {
      await close();
      await own.stop();
    }
  });

  it('answers 503 unavailable with Retry-After while Redis is down, and recovers by itself', async () => {
    const own = await startRedisUnderTest();
    const { app, close } = await createTestApp(own.target);
    try {
      const a = await signUp(app, 'survivor');
      // /metrics answers while Redis is away; what it said is checked once Redis is back.
      const redisUpSeen: (string | undefined)[] = [];
      const scrapeRedisUp = async () => redisUpSeen.push(/^ripple_redis_up (\d+)$/m.exec((await request(app).get('/metrics').expect(200)).text)?.[1]);
      await scrapeRedisUp();
      await killRedisUnderTest(own);
      await scrapeRedisUp();
      const down = await request(app).get('/api/me').set(a.auth);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
      expect(down.headers['retry-after']).toBe('2');
      const post = await request(app).post('/api/tweets').set(a.auth).send({ text: 'lost?' });
      expect(post.status).toBe(503);
      expect((await request(app).get('/healthz')).status).toBe(503);

      await restartRedisUnderTest(own, { withoutData: true });
      await expect.poll(async () => (await request(app).get('/healthz')).status, { timeout: 10_000, interval: 100 }).toBe(200);
      await scrapeRedisUp();
      expect(redisUpSeen).toEqual(['1', '0', '1']);
      // Redis came back without its data: a new user gets the old user's id, and the old token
      // must not open the new account. Until the server has read the new data set's token keys
      // it answers 503 under /api, and a sign-up writes nothing.
      await expect
        .poll(async () => (await request(app).post('/api/users').send({ handle: 'after_outage', password: 'correct horse' })).status, {
          timeout: 5_000,
          interval: 50,
        })
        .toBe(201);
      const newcomer = (await request(app).post('/api/sessions').send({ handle: 'after_outage', password: 'correct horse' }).expect(200)).body;
      expect(newcomer.user.id).toBe(a.user.id);
      expect((await request(app).get('/api/me').set(a.auth)).status).toBe(401);
      const me = await request(app).get('/api/me').set('Authorization', `Bearer ${newcomer.token}`).expect(200);
      expect(me.body.user.handle).toBe('after_outage');
    } finally {
      await close();
      await own.stop();
    }
  });
});
