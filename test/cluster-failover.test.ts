import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { seqFromTweetId, type Job, type Tweet } from '@ripple/shared';
import { keysOf, type RedisClient, type RedisTarget } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { waitForJob } from './support/jobs.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';
import { signUp } from './support/users.js';

/**
 * The contract's promise through the failover of a master: a master is SIGKILLed in the middle
 * of a 300 000-follower fan-out with more tweets queued behind it, while a client keeps posting.
 * Afterwards every follower holds each accepted tweet exactly once, every job is done, no
 * request waited more than 10 s, and new tweets flow, without restarting anything of Ripple's.
 */
const FOLLOWERS = 300_000;
/** The contract: no request waits longer than this for an answer, failover or not. */
const REQUEST_BOUND_MS = 10_000;
/** Long enough to hold every tweet an author posts here, so each timeline can be checked whole. */
const TIMELINE_MAX = 50;

let cluster: TestRedisCluster;
let target: RedisTarget;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;
let workers: Awaited<ReturnType<typeof startTestWorker>>[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  target = { kind: 'cluster', nodes: cluster.seedNodes.join(',') };
  ({ app, redis, close: closeApp } = await createTestApp(target, { timelineMax: TIMELINE_MAX }));
  workers = await Promise.all([startTestWorker(target, { timelineMax: TIMELINE_MAX }), startTestWorker(target, { timelineMax: TIMELINE_MAX })]);
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
  await closeApp?.();
  await cluster?.stop();
});

interface Posted {
  status: number;
  ms: number;
  body: { tweet?: Tweet; job?: Job; error?: { code: string } };
}

async function post(auth: Record<string, string>, text: string): Promise<Posted> {
  const started = Date.now();
  const res = await request(app)
    .post('/api/tweets')
    .set(auth)
    .send({ text })
    .timeout(REQUEST_BOUND_MS + 5_000);
  return { status: res.status, ms: Date.now() - started, body: res.body as Posted['body'] };
}

describe('the failover of a master', () => {
  it('loses and doubles nothing mid-fan-out, answers every request within 10 s, and lets new tweets flow', async () => {
    const celebrity = await signUp(app, 'failover_celebrity');
    await request(app).post('/api/me/followers/synthetic').set(celebrity.auth).send({ count: FOLLOWERS }).expect(200);
    const small = await Promise.all(Array.from({ length: 6 }, (_, i) => signUp(app, `failover_small_${i}`)));
    for (const s of small) await request(app).post('/api/me/followers/synthetic').set(s.auth).send({ count: 50 }).expect(200);

    const first = await post(celebrity.auth, 'to three hundred thousand');
    expect(first.status).toBe(202);
    const accepted: { author: (typeof small)[number]; posted: Posted }[] = [{ author: celebrity, posted: first }];
    // More tweets queued behind it: another big one and the small authors'.
    accepted.push({ author: celebrity, posted: await post(celebrity.auth, 'and again') });
    for (const s of small) accepted.push({ author: s, posted: await post(s.auth, 'small, queued') });

    // Kill the master that holds the celebrity's job and lanes, once the fan-out is well under way.
    const jobId = first.body.job!.id;
    await waitForJob(app, celebrity.token, jobId, (job) => job.delivered >= FOLLOWERS / 10, { timeoutMs: 30_000, intervalMs: 20 });
    const victim = await cluster.masterOf(keysOf(redis).job(jobId));
    const killedAt = Date.now();
    await cluster.killNode(victim.port);

    // A client keeps posting through the failover, as every author would.
    const during: { author: (typeof small)[number]; posted: Posted }[] = [];
    const authors = [celebrity, ...small];
    while (Date.now() - killedAt < 8_000) {
      // Mostly small authors: the celebrity's every tweet is another 300 000 deliveries.
      const author = during.length % 10 === 0 ? celebrity : small[during.length % small.length]!;
      during.push({ author, posted: await post(author.auth, `during ${during.length}`) });
      await delay(100);
    }
    const slowest = Math.max(...during.map((d) => d.posted.ms));
    expect(slowest, 'longest any request waited during the failover (ms)').toBeLessThan(REQUEST_BOUND_MS);
    for (const d of during) {
      if (d.posted.status !== 202) {
        expect(d.posted.status).toBe(503);
        expect(d.posted.body.error?.code).toBe('unavailable');
      }
    }
    expect(during.filter((d) => d.posted.status === 503).length, 'requests refused while a slot had no master').toBeGreaterThan(0);
    accepted.push(...during.filter((d) => d.posted.status === 202));

    // Afterwards: every accepted job done, with no worker or server restarted.
    for (const { author, posted } of accepted) {
      await waitForJob(app, author.token, posted.body.job!.id, 'done', { timeoutMs: 60_000 });
    }
    const after = await post(celebrity.auth, 'after the failover');
    expect(after.status).toBe(202);
    accepted.push({ author: celebrity, posted: after });
    expect(await waitForJob(app, celebrity.token, after.body.job!.id, 'done', { timeoutMs: 60_000 })).toMatchObject({
      delivered: FOLLOWERS,
      total: FOLLOWERS,
    });

    // Every follower of every author holds each of that author's accepted tweets exactly once.
    for (const author of authors) {
      const seqs = accepted.filter((a) => a.author === author).map((a) => seqFromTweetId(a.posted.body.tweet!.id));
      await expectEveryFollowerHasEachOnce(redis, author.user.id, seqs);
    }
    expect(await readBacklog(redis)).toBe(0);
  });
});
