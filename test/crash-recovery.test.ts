import { afterEach, describe, expect, it } from 'vitest';
import { keys, seqFromTweetId, type FanoutDone, type FanoutFailed, type FanoutProgress } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { addFollowers, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { readJob, waitForDelivered, waitForJob } from './support/jobs.js';
import { signUp } from './support/users.js';
import { connectedClient } from './support/ripple.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';

/** Everything a test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: TestRedis[]; clients: RedisClient[]; sockets: ClientSocket[] } = {
  procs: [],
  redis: [],
  clients: [],
  sockets: [],
};
afterEach(async () => {
  for (const s of started.sockets.splice(0)) s.close();
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

async function stack(options: { appendOnly?: boolean; server?: Record<string, string> } = {}) {
  const redisServer = await startRedis({ appendOnly: options.appendOnly ?? false });
  started.redis.push(redisServer);
  const server = await spawnServer(redisServer.url, options.server);
  started.procs.push(server);
  const redis = await connectedClient(redisServer.url);
  started.clients.push(redis);
  const worker = async (env: Record<string, string> = {}) => {
    const proc = await spawnWorker(redisServer.url, { FANOUT_CLAIM_IDLE_MS: '1000', ...env });
    started.procs.push(proc);
    return proc;
  };
  return { redisServer, server, redis, worker };
}

describe('a worker that dies', () => {
  it('SIGKILLed mid-way through a 200 000-follower fan-out: another worker finishes it, every follower once', async () => {
    const { server, redis, worker } = await stack();
    const author = await signUp(server.url, 'killed_mid_way');
    await addFollowers(server.url, author.token, 200_000);
    const victim = await worker({ FANOUT_PAGE_SIZE: '200' });
    const { tweet, job } = await postTweet(server.url, author.token, 'survives a SIGKILL');
    await waitForDelivered(server.url, author.token, job.id, 20_000);
    await victim.stop('SIGKILL');
    const stoppedAt = (await readJob(server.url, author.token, job.id))!;
    expect(stoppedAt.status).toBe('running');
    expect(stoppedAt.delivered).toBeLessThan(200_000);

    await worker();
    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done).toMatchObject({ delivered: 200_000, total: 200_000, error: null });
    expect(await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)])).toBe(200_000);
    expect(Number(await redis.get(keys.backlog))).toBe(0);
  });

  it('SIGTERMed mid-way: exits 0 within a few seconds, and nothing is lost', async () => {
    const { server, redis, worker } = await stack();
    const author = await signUp(server.url, 'terminated');
    await addFollowers(server.url, author.token, 200_000);
    const leaving = await worker({ FANOUT_PAGE_SIZE: '200' });
    const { tweet, job } = await postTweet(server.url, author.token, 'survives a SIGTERM');
    await waitForDelivered(server.url, author.token, job.id, 20_000);
    const t0 = performance.now();
    expect(await leaving.stop('SIGTERM')).toBe(0);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect((await readJob(server.url, author.token, job.id))!.delivered).toBeLessThan(200_000);

    await worker();
    expect((await waitForJob(server.url, author.token, job.id, 'done')).delivered).toBe(200_000);
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);
  });
});

describe('workers racing', () => {
  it.each([2, 3])('%i workers stealing chunks from each other still deliver exactly once, with one done', async (count) => {
    // One chunk fewer than workers, so a worker is always idle and looking for stalled entries;
    // pages of 25 000 with entries claimable after 2 ms idle: chunks are taken from live
    // workers all the time, and run twice and concurrently.
    const chunkSize = String(200_000 / (count - 1));
    const { server, redis, worker } = await stack({ server: { FANOUT_CHUNK_SIZE: chunkSize } });
    const author = await signUp(server.url, `racing_${count}`);
    await addFollowers(server.url, author.token, 200_000);
    const socket = await openSocket(server.url, author.token);
    started.sockets.push(socket);
    const events = recordEvents(socket);
    await Promise.all(
      Array.from({ length: count }, () => worker({ FANOUT_CLAIM_IDLE_MS: '2', FANOUT_PAGE_SIZE: '25000', FANOUT_MAX_ATTEMPTS: '1000' })),
    );
    const { tweet, job } = await postTweet(server.url, author.token, `raced by ${count}`);
    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done.delivered).toBe(200_000);
    expect(Number(await redis.hGet(keys.stats, 'claims')), 'chunks were taken over and run again').toBeGreaterThan(0);
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);

    await expect.poll(() => events.filter((e) => e.event === 'fanout:done').length, { timeout: 5_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const mine = events.filter((e) => (e.payload as { jobId?: string }).jobId === job.id);
    expect(mine.filter((e) => e.event === 'fanout:done')).toHaveLength(1);
    const progress = mine.filter((e) => e.event === 'fanout:progress').map((e) => (e.payload as FanoutProgress).delivered);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect((mine.find((e) => e.event === 'fanout:done')!.payload as FanoutDone).delivered).toBe(200_000);
    expect(Number(await redis.get(keys.backlog))).toBe(0);
  });
});

describe('Redis dying', () => {
  it('SIGKILLed with jobs queued and a fan-out running: after a restart from its AOF, every accepted tweet is delivered', async () => {
    const { redisServer, server, redis, worker } = await stack({ appendOnly: true });
    const authors = await Promise.all([1, 2, 3].map((i) => signUp(server.url, `aof_author_${i}`)));
    for (const a of authors) await addFollowers(server.url, a.token, 40_000);
    await Promise.all([worker({ FANOUT_PAGE_SIZE: '200' }), worker({ FANOUT_PAGE_SIZE: '200' })]);

    const accepted: { author: (typeof authors)[number]; tweetId: string; jobId: string }[] = [];
    for (let round = 0; round < 3; round++) {
      for (const author of authors) {
        const { tweet, job } = await postTweet(server.url, author.token, `round ${round}`);
        accepted.push({ author, tweetId: tweet.id, jobId: job.id });
      }
    }
    await waitForDelivered(server.url, authors[0]!.token, accepted[0]!.jobId, 5_000);
    await redisServer.kill();
    await new Promise((r) => setTimeout(r, 500));
    await redisServer.restart();

    for (const { author, jobId } of accepted) {
      expect((await waitForJob(server.url, author.token, jobId, 'done')).delivered).toBe(40_000);
    }
    await redis.close().catch(() => {});
    const fresh = await connectedClient(redisServer.url);
    started.clients.push(fresh);
    for (const author of authors) {
      const seqs = accepted.filter((a) => a.author === author).map((a) => seqFromTweetId(a.tweetId));
      await expectEveryFollowerHasEachOnce(fresh, author.user.id, seqs);
    }
    expect(Number(await fresh.get(keys.backlog))).toBe(0);
  });
});

describe('a poison chunk', () => {
  it('is retried with backoff, then dead-lettered and its job failed, while other jobs flow', async () => {
    const { server, redis, worker } = await stack();
    const poisoned = await signUp(server.url, 'poisoned');
    const healthy = await signUp(server.url, 'healthy');
    await addFollowers(server.url, poisoned.token, 100);
    await addFollowers(server.url, healthy.token, 100);
    const socket = await openSocket(server.url, poisoned.token);
    started.sockets.push(socket);
    const events = recordEvents(socket);

    const bad = await postTweet(server.url, poisoned.token, 'this one cannot be delivered');
    // Its tweet record vanishes before any worker runs: every attempt of the chunk throws.
    await redis.del(keys.tweet(seqFromTweetId(bad.tweet.id)));
    await worker({ FANOUT_MAX_ATTEMPTS: '3', FANOUT_RETRY_BASE_MS: '200' });
    const good = await postTweet(server.url, healthy.token, 'this one flows');

    expect((await waitForJob(server.url, healthy.token, good.job.id, 'done', { timeoutMs: 5_000 })).delivered).toBe(100);
    expect((await readJob(server.url, poisoned.token, bad.job.id))!.status).not.toBe('failed');

    const failed = await waitForJob(server.url, poisoned.token, bad.job.id, 'failed', { timeoutMs: 20_000 });
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatch(/after 3 attempts.*no longer exists/);
    const dead = (await redis.xRange(keys.deadLetterStream, '-', '+')) ?? [];
    expect(dead.filter((d) => d.message.job === bad.job.id)).toHaveLength(1);
    await expect.poll(() => events.filter((e) => e.event === 'fanout:failed').length).toBe(1);
    expect(events.find((e) => e.event === 'fanout:failed')!.payload as FanoutFailed).toEqual({ jobId: bad.job.id, tweetId: bad.tweet.id, error: failed.error });
    expect(Number(await redis.get(keys.backlog))).toBe(0);
    expect(await redis.xLen(keys.fanoutLanes.small)).toBe(0);
    expect(await redis.xLen(keys.fanoutLanes.bulk)).toBe(0);
    expect(await redis.zCard(keys.retrySchedule)).toBe(0);
  });
});

describe('a server that is told to stop', () => {
  it('answers the request in flight, then exits 0', async () => {
    const { server } = await stack();
    const author = await signUp(server.url, 'last_request');
    const inFlight = fetch(`${server.url}/api/me/followers/synthetic`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${author.token}` },
      body: JSON.stringify({ count: 1_000_000 }),
    });
    await new Promise((r) => setTimeout(r, 100));
    const exited = server.stop('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { followers: number } }).user.followers).toBe(1_000_000);
    expect(await exited).toBe(0);
  });
});
