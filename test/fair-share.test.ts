import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { SAMPLE_MS } from '../server/src/backlog-sampler.js';
import { readBacklogs } from '../server/src/store/bucket-totals.js';
import { onCluster, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';
import { waitForJob } from './support/jobs.js';

/**
 * The bounds of fair admission (CONTRACT.md, FANOUT_*): an author's own share, the small tweets'
 * backlog, and the backlog of the others. Small here is at most 10 followers; no worker runs
 * until a test starts one, so what is admitted stays outstanding.
 */
const BOUNDS = { fanoutSmallAudience: 10, fanoutMaxSmallBacklog: 30, fanoutMaxBacklog: 150, fanoutMaxAuthorBacklog: 250 };

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let closeApp: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  ({ app, redis, close: closeApp } = await createTestApp(redisServer.target, BOUNDS));
});
afterAll(async () => {
  await closeApp();
  await redisServer.stop();
});

/** A new account with `followers` synthetic followers. */
async function author(handle: string, followers: number) {
  const user = await signUp(app, handle);
  if (followers > 0) await request(app).post('/api/me/followers/synthetic').set(user.auth).send({ count: followers }).expect(200);
  return user;
}

/**
 * Posts a tweet. On a cluster, then waits out the backlog sample: the global bounds count other
 * buckets' backlogs as sampled every SAMPLE_MS, and may be passed by what is admitted within
 * one sample (the documented limit); the bounds themselves are what these tests are about.
 */
async function post(user: { auth: Record<string, string> }, text: string) {
  const answer = await request(app).post('/api/tweets').set(user.auth).send({ text });
  if (onCluster) await delay(3 * SAMPLE_MS);
  return answer;
}

/** Lets a worker deliver everything outstanding, then stops it. */
async function drain() {
  const worker = await startTestWorker(redisServer.target);
  try {
    await expect.poll(async () => await readBacklogs(redis), { timeout: 15_000 }).toEqual({ small: 0, big: 0 });
    // On a cluster the server sees the other buckets' backlogs as of its last sample.
    if (onCluster) await delay(3 * SAMPLE_MS);
  } finally {
    await worker.close();
  }
}

describe('fair admission', () => {
  it('never refuses a small tweet because of big fan-outs, and big ones stay bounded together', async () => {
    const celebrity = await author('fair_celebrity', 100);
    const rival = await author('fair_rival', 100);
    const ordinary = await author('fair_ordinary', 5);

    // 0 and 100 outstanding are below 150: both admitted; at 200 the next big one is refused.
    expect((await post(celebrity, 'big one')).status).toBe(202);
    expect((await post(rival, 'big two')).status).toBe(202);
    const refused = await post(celebrity, 'big three');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toEqual({ code: 'overloaded', message: expect.stringContaining('big fan-outs') });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(await readBacklogs(redis)).toEqual({ small: 0, big: 200 });

    // The big backlog is past its bound, and a small tweet does not care.
    const small = await post(ordinary, 'just to my five');
    expect(small.status).toBe(202);
    expect(small.body.job).toMatchObject({ status: 'queued', total: 5 });
    await drain();
    expect((await post(celebrity, 'big again')).status).toBe(202);
    await drain();
  });

  it('bounds small tweets by their own backlog: a flood of them from many accounts is held too, and a big one still passes', async () => {
    const chatty = await Promise.all([1, 2, 3, 4].map((i) => author(`fair_chatty${i}`, 10)));
    const celebrity = await author('fair_big_in_flood', 100);
    // 0, 10 and 20 outstanding are below 30: three admitted; at 30 every small tweet is refused.
    const answers = [];
    for (const user of chatty) answers.push((await post(user, 'small flood')).status);
    expect(answers).toEqual([202, 202, 202, 503]);
    const refused = await post(chatty[0]!, 'still flooding');
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain('too many tweets are waiting');
    expect(await readBacklogs(redis)).toEqual({ small: 30, big: 0 });

    expect((await post(celebrity, 'unaffected by the flood')).status).toBe(202);
    await drain();
    expect((await post(chatty[3]!, 'after the flood')).status).toBe(202);
    await drain();
  });
});

describe("an author's own share", () => {
  it('lets an author with nothing outstanding post even with FANOUT_MAX_AUTHOR_BACKLOG=0, and only then refuses', async () => {
    const own = await startRedisUnderTest();
    const { app: ownApp, close } = await createTestApp(own.target, { ...BOUNDS, fanoutMaxBacklog: 1_000_000, fanoutMaxAuthorBacklog: 0 });
    try {
      const lone = await signUp(ownApp, 'share_zero');
      await request(ownApp).post('/api/me/followers/synthetic').set(lone.auth).send({ count: 100 }).expect(200);
      await request(ownApp).post('/api/tweets').set(lone.auth).send({ text: 'first is free' }).expect(202);
      const refused = await request(ownApp).post('/api/tweets').set(lone.auth).send({ text: 'second waits' });
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toContain('your earlier tweets');
    } finally {
      await close();
      await own.stop();
    }
  });

  it('refuses the author at FANOUT_MAX_AUTHOR_BACKLOG while others post, and forgets the author once drained', async () => {
    const own = await startRedisUnderTest();
    // Only the author's bound matters here: the global ones are far away.
    const {
      app: ownApp,
      redis: ownRedis,
      close,
    } = await createTestApp(own.target, {
      fanoutSmallAudience: 10,
      fanoutMaxBacklog: 1_000_000,
      fanoutMaxSmallBacklog: 1_000_000,
      fanoutMaxAuthorBacklog: 250,
    });
    try {
      const hog = await signUp(ownApp, 'share_hog');
      const other = await signUp(ownApp, 'share_other');
      for (const user of [hog, other]) await request(ownApp).post('/api/me/followers/synthetic').set(user.auth).send({ count: 100 }).expect(200);
      const postAs = (user: typeof hog, text: string) => request(ownApp).post('/api/tweets').set(user.auth).send({ text });

      // 0, 100 and 200 outstanding are below 250: three admitted, so the bound is passed by one
      // tweet at most; at 300 the author is refused.
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await postAs(hog, `hog ${i}`)).status);
      expect(answers).toEqual([202, 202, 202, 503]);
      const refused = await postAs(hog, 'once more');
      expect(refused.status).toBe(503);
      expect(refused.body.error).toEqual({ code: 'overloaded', message: expect.stringContaining('your earlier tweets') });
      const authorBacklog = keysOf(ownRedis).authorBacklog(hog.user.id);
      expect(await ownRedis.get(authorBacklog)).toBe('300');

      // Somebody else is not held back by the hog's share.
      const others = await postAs(other, 'my own share').expect(202);

      const worker = await startTestWorker(own.target);
      try {
        await waitForJob(ownApp, other.token, others.body.job.id, 'done');
        await expect.poll(async () => await readBacklogs(ownRedis), { timeout: 15_000 }).toEqual({ small: 0, big: 0 });
        // Drained: the counter is gone, and the author posts again.
        expect(await ownRedis.exists(authorBacklog)).toBe(0);
        await postAs(hog, 'welcome back').expect(202);
      } finally {
        await worker.close();
      }
    } finally {
      await close();
      await own.stop();
    }
  });
});
