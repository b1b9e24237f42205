import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { seqFromTweetId, type PostTweetResponse } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { addFollowers, api } from './support/http-api.js';
import { waitForJob } from './support/jobs.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { connectedClient } from './support/ripple.js';
import { publishedEvents } from './support/streams.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';
import { signUp } from './support/users.js';

/** Everything the test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: TestRedis[]; clients: RedisClient[] } = { procs: [], redis: [], clients: [] };
afterEach(async () => {
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

/** Many tweets coming due together, so that workers race over them and kills land in the middle of publishing them. */
const FOLLOWERS = 2_000;
const TWEETS = 60;

describe('scheduled tweets through SIGKILLs', () => {
  it('workers SIGKILLed over and over around the due time, and Redis SIGKILLed and restarted from its AOF: each tweet is published once and reaches every follower once', async () => {
    const redisServer = await startRedis({ appendOnly: true });
    started.redis.push(redisServer);
    const server = await spawnServer(redisServer.url);
    started.procs.push(server);
    const author = await signUp(server.url, 'scheduled_kill');
    await addFollowers(server.url, author.token, FOLLOWERS);
    // Many attempts: the kills below land on fan-out chunks too, and this test is about publishing once, not giving up.
    const workerEnv = { FANOUT_CLAIM_IDLE_MS: '1000', FANOUT_PAGE_SIZE: '200', FANOUT_MAX_ATTEMPTS: '100' };
    const live: RippleProcess[] = [];
    const spawnOne = async () => {
      const proc = await spawnWorker(redisServer.url, workerEnv, { startTimeoutMs: 40_000 });
      started.procs.push(proc);
      live.push(proc);
    };
    await Promise.all([spawnOne(), spawnOne(), spawnOne()]);

    // Due a few seconds from now, 25 ms apart, so that some come due between kills and some during the outage.
    const dueAt = Date.now() + 5_500;
    const scheduled: PostTweetResponse[] = [];
    for (let i = 0; i < TWEETS; i++) {
      const publishAt = new Date(dueAt + i * 25).toISOString();
      scheduled.push(await api<PostTweetResponse>(server.url, '/api/tweets', { token: author.token, body: { text: `due ${i}`, publishAt } }));
    }

    await delay(dueAt - Date.now() - 500);
    const respawns: Promise<void>[] = [];
    const killing = (async () => {
      while (Date.now() < dueAt + 2_500) {
        const victim = live.shift();
        if (victim) await victim.stop('SIGKILL');
        respawns.push(spawnOne());
        await delay(350);
      }
    })();
    await delay(dueAt + 300 - Date.now());
    await redisServer.kill();
    await delay(400);
    await redisServer.restart();
    await killing;
    await Promise.all(respawns);

    for (const { job } of scheduled) {
      expect((await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 45_000 })).delivered, `job ${job.id}`).toBe(FOLLOWERS);
    }
    const fresh = await connectedClient(redisServer.url);
    started.clients.push(fresh);
    const seqs = scheduled.map(({ tweet }) => seqFromTweetId(tweet.id));
    await expectEveryFollowerHasEachOnce(fresh, author.user.id, seqs);
    const k = keysOf(fresh);
    expect((await fresh.lRange(k.timeline(author.user.id), 0, -1)).map(Number).sort()).toEqual([...seqs].sort());
    expect(await fresh.zCard(k.publishSchedule(0))).toBe(0);
    expect(await fresh.zCard(k.scheduledBy(author.user.id))).toBe(0);
    for (const { job } of scheduled) expect((await publishedEvents(fresh, job.id)).filter((e) => e.event === 'tweet:published')).toHaveLength(1);
  }, 120_000);
});
