import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { seqFromTweetId, statsField, type Job, type Tweet } from '@ripple/shared';
import { keysOf, type RedisClient, type RedisTarget } from '@ripple/shared/node';
import { readBacklog, readCounters } from '../server/src/store/bucket-totals.js';
import { waitForJob } from './support/jobs.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { publishedEvents } from './support/streams.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';
import { signUp } from './support/users.js';

/**
 * Ripple on a real 3 + 3 Redis Cluster: every script runs on one slot (each has a `#!lua`
 * header, so a key of another slot would fail it even when the same node holds it), and one
 * fan-out runs on every master. The failover of a master mid-fan-out is in
 * cluster-failover.test.ts.
 */
let cluster: TestRedisCluster;
let target: RedisTarget;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;
let workers: Awaited<ReturnType<typeof startTestWorker>>[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  target = { kind: 'cluster', nodes: cluster.seedNodes.join(',') };
  ({ app, redis, close: closeApp } = await createTestApp(target, { timelineMax: 5, fanoutChunkSize: 2_000 }));
  workers = await Promise.all([startTestWorker(target, { timelineMax: 5 }), startTestWorker(target, { timelineMax: 5 })]);
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
  await closeApp?.();
  await cluster?.stop();
});

const post = async (auth: Record<string, string>, text: string) =>
  (await request(app).post('/api/tweets').set(auth).send({ text }).expect(202)).body as { tweet: Tweet; job: Job };

describe('on a Redis Cluster', () => {
  it('signs up, follows, posts and reads timelines through the API', async () => {
    const author = await signUp(app, 'cluster_author');
    const fans = await Promise.all(Array.from({ length: 12 }, (_, i) => signUp(app, `cluster_fan_${i}`)));
    for (const fan of fans) await request(app).post('/api/follows').set(fan.auth).send({ handle: 'cluster_author' }).expect(200);
    // Following twice changes nothing; unfollowing is counted in the author's audience too.
    await request(app).post('/api/follows').set(fans[0]!.auth).send({ handle: 'cluster_author' }).expect(200);
    await request(app).delete('/api/follows/cluster_author').set(fans[11]!.auth).expect(200);
    expect((await request(app).get('/api/users/cluster_author').set(author.auth).expect(200)).body.user).toMatchObject({ followers: 11 });
    expect((await request(app).get('/api/me').set(fans[0]!.auth).expect(200)).body.user).toMatchObject({ following: 1 });

    const { tweet, job } = await post(author.auth, 'hello, shards');
    expect(job.total).toBe(11);
    expect(await waitForJob(app, author.token, job.id)).toMatchObject({ status: 'done', delivered: 11, total: 11 });
    for (const fan of fans.slice(0, 11)) {
      const home = (await request(app).get('/api/timeline').set(fan.auth).expect(200)).body.tweets as Tweet[];
      expect(home.map((t) => t.id)).toEqual([tweet.id]);
    }
    expect((await request(app).get('/api/timeline').set(fans[11]!.auth).expect(200)).body.tweets).toEqual([]);
    expect((await request(app).get(`/api/tweets/${tweet.id}`).set(fans[0]!.auth).expect(200)).body.tweet).toEqual(tweet);
    const own = (await request(app).get('/api/users/cluster_author/tweets').set(fans[0]!.auth).expect(200)).body.tweets as Tweet[];
    expect(own.map((t) => t.id)).toEqual([tweet.id]);
  });

  it('keeps tweet ids unique and in creation order across buckets', async () => {
    const authors = await Promise.all(Array.from({ length: 6 }, (_, i) => signUp(app, `cluster_order_${i}`)));
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const a of authors) ids.push((await post(a.auth, `round ${round}`)).tweet.id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(authors.map((a) => keysOf(redis).layout.bucketOf(a.user.id))).size).toBeGreaterThan(1);
  });

  it('spreads one fan-out over every master, delivering to each follower once, with one done', async () => {
    const author = await signUp(app, 'cluster_celebrity');
    await request(app).post('/api/me/followers/synthetic').set(author.auth).send({ count: 30_000 }).expect(200);
    const before = await deliveredPerMaster();
    const { tweet, job } = await post(author.auth, 'to every shard');
    expect(job.total).toBe(30_000);
    expect(await waitForJob(app, author.token, job.id)).toMatchObject({ status: 'done', delivered: 30_000, total: 30_000, attempts: 1 });

    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);
    const after = await deliveredPerMaster();
    const gained = [...after].map(([port, n]) => n - (before.get(port) ?? 0));
    expect(gained, 'deliveries made on each master').toHaveLength(3);
    // Buckets are spread evenly enough that each master writes a real share.
    for (const n of gained) expect(n).toBeGreaterThan(3_000);
    expect(gained.reduce((a, b) => a + b, 0)).toBe(30_000);

    const events = await publishedEvents(redis, job.id);
    expect(events.filter((e) => e.event === 'fanout:done')).toHaveLength(1);
    expect(events.some((e) => e.event === 'fanout:progress')).toBe(true);
    expect(await readBacklog(redis)).toBe(0);
    expect((await readCounters(redis))[statsField.delivered]).toBeGreaterThanOrEqual(30_000);
  });

  it('sums every bucket in /healthz and /metrics', async () => {
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', redis: 'ok', backlog: 0 });
    expect((await request(app).get('/metrics').expect(200)).text).toMatch(/^ripple_admission_unreplicated_total \d+$/m);
  });
});

/** Deliveries counted so far in each master's buckets, by master port. */
async function deliveredPerMaster(): Promise<Map<number, number>> {
  const k = keysOf(redis);
  const byMaster = new Map<number, number>();
  for (const bucket of k.layout.all) {
    const master = await cluster.masterOf(k.stats(bucket));
    const delivered = Number((await redis.hGet(k.stats(bucket), statsField.delivered)) ?? 0);
    byMaster.set(master.port, (byMaster.get(master.port) ?? 0) + delivered);
  }
  return byMaster;
}
