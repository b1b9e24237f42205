import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { seqFromTweetId, statsField, type Job, type FanoutDone, type FanoutFailed, type FanoutProgress } from '@ripple/shared';
import { keysOf, type RedisClient, type RedisTarget } from '@ripple/shared/node';
import { readBacklog, readCounters } from '../server/src/store/bucket-totals.js';
import { startRedis } from './support/redis-server.js';
import { onSingleRedis, startRedisUnderTest } from './support/redis-under-test.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { addFollowers, api, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { readJob, waitForDelivered, waitForJob } from './support/jobs.js';
import { signUp } from './support/users.js';
import { connectedClient } from './support/ripple.js';
import { expectEveryFollowerHasEachOnce, expectNoFollowerHas } from './support/timelines.js';
import { pendingEntries, publishedEvents, queuedEntries } from './support/streams.js';

/** Everything a test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: { stop(): Promise<void> }[]; clients: RedisClient[]; sockets: ClientSocket[] } = {
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

/** A Redis (a cluster in the `cluster` project), one server process and a way to add workers. */
async function stack(options: { server?: Record<string, string> } = {}) {
  return stackOn(await startRedisUnderTest(), options);
}

/** As `stack`, on one redis-server with its append-only file on, for tests that kill and restart it. */
async function singleRedisStack(options: { server?: Record<string, string> } = {}) {
  const redisServer = await startRedis({ appendOnly: true });
  return { redisServer, ...(await stackOn({ target: { kind: 'single', url: redisServer.url }, stop: () => redisServer.stop() }, options)) };
}

async function stackOn(redisUnderTest: { target: RedisTarget; stop(): Promise<void> }, options: { server?: Record<string, string> }) {
  const { target } = redisUnderTest;
  started.redis.push(redisUnderTest);
  const server = await spawnServer(target, options.server);
  started.procs.push(server);
  const redis = await connectedClient(target);
  started.clients.push(redis);
  const worker = async (env: Record<string, string> = {}) => {
    const proc = await spawnWorker(target, { FANOUT_CLAIM_IDLE_MS: '1000', ...env });
    started.procs.push(proc);
    return proc;
  };
  return { server, redis, worker };
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
    expect(await readBacklog(redis)).toBe(0);
  });

  it("SIGKILLed mid-way through a 200 000-follower delete: another worker finishes it, and no follower's timeline keeps the tweet", async () => {
    const { server, redis, worker } = await stack();
    const author = await signUp(server.url, 'killed_deleting');
    await addFollowers(server.url, author.token, 200_000);
    const poster = await worker();
    const { tweet, job: post } = await postTweet(server.url, author.token, 'to be taken back');
    await waitForJob(server.url, author.token, post.id, 'done');
    await poster.stop('SIGTERM');

    const victim = await worker({ FANOUT_PAGE_SIZE: '200' });
    const { job } = await api<{ job: Job }>(server.url, `/api/tweets/${tweet.id}`, { method: 'DELETE', token: author.token });
    await waitForDelivered(server.url, author.token, job.id, 20_000);
    await victim.stop('SIGKILL');
    const stoppedAt = (await readJob(server.url, author.token, job.id))!;
    expect(stoppedAt.status).toBe('running');
    expect(stoppedAt.delivered).toBeLessThan(200_000);

    await worker();
    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done).toMatchObject({ kind: 'delete', delivered: 200_000, total: 200_000, error: null });
    expect(await expectNoFollowerHas(redis, author.user.id, seqFromTweetId(tweet.id))).toBe(200_000);
    expect(await readBacklog(redis)).toBe(0);
  });

  it('SIGTERMed mid-chunk: hands the rest of its chunk back at once and exits 0, and a worker that claims nothing finishes it', async () => {
    // The whole audience in one chunk, so the worker certainly holds it when the signal lands.
    const { server, redis, worker } = await stack({ server: { FANOUT_CHUNK_SIZE: '20000' } });
    const author = await signUp(server.url, 'terminated');
    await addFollowers(server.url, author.token, 20_000);
    const leaving = await worker({ FANOUT_PAGE_SIZE: '10' });
    const { tweet, job } = await postTweet(server.url, author.token, 'survives a SIGTERM');
    await waitForDelivered(server.url, author.token, job.id, 1);
    expect(await leaving.stop('SIGTERM')).toBe(0);
    const stoppedAt = (await readJob(server.url, author.token, job.id))!;
    expect(stoppedAt.status).toBe('running');
    expect(stoppedAt.delivered).toBeLessThan(20_000);
    // Handed back: the chunk is on its lane again, and nothing waits in the departed worker's name.
    expect(await pendingEntries(redis)).toBe(0);
    expect(await queuedEntries(redis)).toBe(1);

    // This worker claims nothing within the test: only a chunk handed back can reach it.
    await worker({ FANOUT_CLAIM_IDLE_MS: '60000' });
    const done = await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 20_000 });
    expect(done).toMatchObject({ delivered: 20_000, total: 20_000, attempts: 1 });
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);
  });

  it.runIf(onSingleRedis)('SIGTERMed during a Redis outage: hands the chunk it holds back once Redis is back, and exits 0', async () => {
    // As above; the worker keeps its chunk in hand through the outage, and is told to stop then.
    const { redisServer, server, redis, worker } = await singleRedisStack({ server: { FANOUT_CHUNK_SIZE: '20000' } });
    const author = await signUp(server.url, 'terminated_in_outage');
    await addFollowers(server.url, author.token, 20_000);
    const leaving = await worker({ FANOUT_PAGE_SIZE: '10' });
    const { tweet, job } = await postTweet(server.url, author.token, 'handed back after an outage');
    await waitForDelivered(server.url, author.token, job.id, 1);
    await redisServer.kill();
    await expect.poll(() => leaving.output().includes('redis unavailable'), { timeout: 10_000 }).toBe(true);
    const exited = leaving.stop('SIGTERM');
    await expect.poll(() => leaving.output().includes('stopping'), { timeout: 10_000 }).toBe(true);
    await redisServer.restart();
    expect(await exited).toBe(0);

    await redis.close().catch(() => {});
    const fresh = await connectedClient(redisServer.url);
    started.clients.push(fresh);
    expect(await pendingEntries(fresh)).toBe(0);
    expect(await queuedEntries(fresh)).toBe(1);
    await worker({ FANOUT_CLAIM_IDLE_MS: '60000' });
    const done = await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 20_000 });
    expect(done).toMatchObject({ delivered: 20_000, total: 20_000, attempts: 1 });
    await expectEveryFollowerHasEachOnce(fresh, author.user.id, [seqFromTweetId(tweet.id)]);
  });
});

// It needs one chunk fewer than workers, and a cluster's 16 buckets give any big audience at
// least 16 chunks; racing on pages is the same code on both.
describe.runIf(onSingleRedis)('workers racing', () => {
  it.each([2, 3])('%i workers stealing chunks from each other still deliver exactly once, with one done', async (count) => {
    // One chunk fewer than workers, so a worker is always idle and looking for stalled entries;
    // pages of 25 000 with entries claimable after 2 ms idle: chunks are taken from workers
    // still running them all the time, and run twice and concurrently. With a 2 ms claim time
    // nearly every such owner is judged dead, which counts an attempt, hence the high cap;
    // takeovers from owners judged alive, at no attempt, are tested in worker-claims.test.ts.
    const chunkSize = String(200_000 / (count - 1));
    const { server, redis, worker } = await stack({ server: { FANOUT_CHUNK_SIZE: chunkSize } });
    const author = await signUp(server.url, `racing_${count}`);
    await addFollowers(server.url, author.token, 200_000);
    const socket = await openSocket(server.url, author.token);
    started.sockets.push(socket);
    const events = recordEvents(socket);
    const workers = await Promise.all(
      Array.from({ length: count }, () => worker({ FANOUT_CLAIM_IDLE_MS: '2', FANOUT_PAGE_SIZE: '25000', FANOUT_MAX_ATTEMPTS: '1000' })),
    );
    const { tweet, job } = await postTweet(server.url, author.token, `raced by ${count}`);
    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done.delivered).toBe(200_000);
    expect((await readCounters(redis))[statsField.claims] ?? 0, 'chunks were taken over and run again').toBeGreaterThan(0);
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);

    // With every worker gone nothing can publish any more, and every event published is in the
    // events stream: a second done would be there now.
    for (const w of workers) expect(await w.stop('SIGTERM')).toBe(0);
    const published = await publishedEvents(redis, job.id);
    expect(published.filter((e) => e.event === 'fanout:done').map((e) => e.payload as FanoutDone)).toEqual([
      { jobId: job.id, tweetId: tweet.id, delivered: 200_000, total: 200_000, durationMs: expect.any(Number) },
    ]);
    const progress = published.filter((e) => e.event === 'fanout:progress').map((e) => (e.payload as FanoutProgress).delivered);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // And the author's socket got that one done, relayed.
    await expect.poll(() => events.filter((e) => e.event === 'fanout:done').length, { timeout: 5_000 }).toBe(1);
    expect(await readBacklog(redis)).toBe(0);
  });
});

// The failover of a master, the cluster's counterpart, is in cluster-failover.test.ts.
describe.runIf(onSingleRedis)('Redis dying', () => {
  it('SIGKILLed with jobs queued and a fan-out running: after a restart from its AOF, every accepted tweet is delivered', async () => {
    const { redisServer, server, redis, worker } = await singleRedisStack();
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
    expect(await readBacklog(fresh)).toBe(0);
  });

  it('down for longer than the claim time while a worker holds a chunk: that worker resumes it, and the outage costs no attempt', async () => {
    // One chunk, so exactly one of the two workers holds it when Redis dies, and the other is
    // idle, free to take it over should it judge its holder dead.
    const { redisServer, server, worker } = await singleRedisStack({ server: { FANOUT_CHUNK_SIZE: '20000' } });
    const author = await signUp(server.url, 'outage_no_attempt');
    await addFollowers(server.url, author.token, 20_000);
    const workers = await Promise.all([worker({ FANOUT_PAGE_SIZE: '10' }), worker({ FANOUT_PAGE_SIZE: '10' })]);
    const { tweet, job } = await postTweet(server.url, author.token, 'rides out an outage');
    await waitForDelivered(server.url, author.token, job.id, 1);
    await redisServer.kill();
    await expect.poll(() => workers.every((w) => w.output().includes('redis unavailable')), { timeout: 10_000 }).toBe(true);
    // Longer than the claim time (1 s): once Redis is back, the chunk has been pending too long
    // and its holder's last heartbeat is old, though the holder never stopped.
    await delay(1_500);
    await redisServer.restart();

    const done = await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 20_000 });
    expect(done).toMatchObject({ delivered: 20_000, total: 20_000, attempts: 1, error: null });
    const fresh = await connectedClient(redisServer.url);
    started.clients.push(fresh);
    // Nobody took the chunk from its holder, let alone as a dead worker's (which would count).
    expect((await readCounters(fresh))[statsField.claims] ?? 0).toBe(0);
    for (const w of workers) expect(w.output()).not.toContain('took over the chunk of a dead worker');
    await expectEveryFollowerHasEachOnce(fresh, author.user.id, [seqFromTweetId(tweet.id)]);
  });

  it('down while a worker runs a batch of small entries side by side: it keeps every one and resumes them all, none claimed, at no attempt', async () => {
    const { redisServer, server, worker } = await singleRedisStack();
    const authors = await Promise.all([1, 2, 3, 4].map((i) => signUp(server.url, `outage_batch_${i}`)));
    for (const a of authors) await addFollowers(server.url, a.token, 5_000);
    // Queued before any worker runs, so one read takes all four (small: one entry each), and
    // one follower per page keeps each running for a while, side by side with the others.
    const accepted = [];
    for (const author of authors) accepted.push({ author, ...(await postTweet(server.url, author.token, 'one of a batch')) });
    const workers = await Promise.all([worker({ FANOUT_PAGE_SIZE: '1' }), worker({ FANOUT_PAGE_SIZE: '1' })]);
    for (const { author, job } of accepted) await waitForDelivered(server.url, author.token, job.id, 1);
    await redisServer.kill();
    await expect.poll(() => workers.some((w) => w.output().includes('redis unavailable')), { timeout: 10_000 }).toBe(true);
    // Longer than the claim time (1 s), as above: once Redis is back, every entry in hand looks stalled.
    await delay(1_500);
    await redisServer.restart();

    for (const { author, job } of accepted) {
      expect(await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 30_000 })).toMatchObject({ delivered: 5_000, attempts: 1, error: null });
    }
    const fresh = await connectedClient(redisServer.url);
    started.clients.push(fresh);
    expect((await readCounters(fresh))[statsField.claims] ?? 0, 'entries taken from their holder').toBe(0);
    for (const { author, tweet } of accepted) await expectEveryFollowerHasEachOnce(fresh, author.user.id, [seqFromTweetId(tweet.id)]);
  });
});

describe('a chunk that kills every worker that runs it', () => {
  it('is given up after FANOUT_MAX_ATTEMPTS: dead-lettered once, its job failed, its author told once', async () => {
    // One chunk, delivered one follower per page, so no worker gets far before it is killed.
    const { server, redis, worker } = await stack({ server: { FANOUT_CHUNK_SIZE: '20000' } });
    const author = await signUp(server.url, 'deadly_chunk');
    await addFollowers(server.url, author.token, 20_000);
    const { job } = await postTweet(server.url, author.token, 'nobody survives this one');

    const env = { FANOUT_MAX_ATTEMPTS: '3', FANOUT_CLAIM_IDLE_MS: '200', FANOUT_PAGE_SIZE: '1' };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const victim = await worker(env);
      // Its first page records which attempt it is: the chunk of the worker killed before was
      // taken over as a dead worker's, which counts.
      await waitForJob(server.url, author.token, job.id, (j) => j.attempts === attempt, { timeoutMs: 15_000, intervalMs: 5 });
      await victim.stop('SIGKILL');
    }
    await worker(env);

    const failed = await waitForJob(server.url, author.token, job.id, 'failed', { timeoutMs: 15_000 });
    expect(failed).toMatchObject({ attempts: 3, error: 'delivery failed after 3 attempts: its worker died on every attempt' });
    expect(failed.delivered).toBeLessThan(20_000);
    const home = keysOf(redis).layout.bucketOf(author.user.id);
    const dead = ((await redis.xRange(keysOf(redis).deadLetterStream(home), '-', '+')) ?? []).filter((d) => d.message.job === job.id);
    expect(dead.map((d) => d.message.attempt)).toEqual(['3']);
    const published = await publishedEvents(redis, job.id);
    expect(published.filter((e) => e.event === 'fanout:failed').map((e) => e.payload)).toEqual([
      { jobId: job.id, tweetId: failed.tweetId, error: failed.error },
    ]);
    expect(published.filter((e) => e.event === 'fanout:done')).toEqual([]);
    expect(await queuedEntries(redis)).toBe(0);
    expect(await redis.zCard(keysOf(redis).retrySchedule(home))).toBe(0);
    expect(await readBacklog(redis)).toBe(0);
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
    // The entry's lane, retries and dead letters are in its author's bucket.
    const home = keysOf(redis).layout.bucketOf(poisoned.user.id);
    // Its tweet record vanishes before any worker runs: every attempt of the chunk throws.
    await redis.del(keysOf(redis).tweet(seqFromTweetId(bad.tweet.id)));
    // Retries 1–2 s, then 2–4 s later: the healthy job below needs a small fraction of that.
    // A short claim time also shortens the worker's wait for new work, between which it promotes
    // due retries, so a retry runs close to when it is due.
    await worker({ FANOUT_MAX_ATTEMPTS: '3', FANOUT_RETRY_BASE_MS: '2000', FANOUT_CLAIM_IDLE_MS: '200' });
    // Its first try has failed once its second waits on the retry schedule; noted with the time
    // asked, which is no later than the moment the second try could start.
    let secondTryAfter = 0;
    const secondTryScheduled = async () => {
      const askedAt = Date.now();
      const members = (await redis.zRange(keysOf(redis).retrySchedule(home), 0, -1)).map((m) => JSON.parse(m) as { job: string; attempt: string });
      const found = members.some((m) => m.job === bad.job.id && m.attempt === '2');
      if (found) secondTryAfter = askedAt;
      return found;
    };
    await expect.poll(secondTryScheduled, { timeout: 10_000 }).toBe(true);
    // Posted while the poison chunk waits for its retry: it is not stuck behind it.
    const good = await postTweet(server.url, healthy.token, 'this one flows');
    const goodDone = await waitForJob(server.url, healthy.token, good.job.id, 'done', { timeoutMs: 10_000 });
    expect(goodDone.delivered).toBe(100);

    const failed = await waitForJob(server.url, poisoned.token, bad.job.id, 'failed', { timeoutMs: 20_000 });
    expect(Date.parse(goodDone.finishedAt!), 'the healthy job finished before the poison chunk ran out of attempts').toBeLessThan(
      Date.parse(failed.finishedAt!),
    );
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatch(/after 3 attempts.*no longer exists/);
    // Backed off: the third try waited at least the doubled back-off (2–4 s) after the second.
    expect(Date.parse(failed.finishedAt!) - secondTryAfter).toBeGreaterThanOrEqual(2_000);
    const dead = (await redis.xRange(keysOf(redis).deadLetterStream(home), '-', '+')) ?? [];
    expect(dead.filter((d) => d.message.job === bad.job.id)).toHaveLength(1);
    const failedEvents = (await publishedEvents(redis, bad.job.id)).filter((e) => e.event === 'fanout:failed');
    expect(failedEvents.map((e) => e.payload)).toEqual([{ jobId: bad.job.id, tweetId: bad.tweet.id, error: failed.error }]);
    await expect.poll(() => events.filter((e) => e.event === 'fanout:failed').length).toBe(1);
    expect(events.find((e) => e.event === 'fanout:failed')!.payload as FanoutFailed).toEqual({ jobId: bad.job.id, tweetId: bad.tweet.id, error: failed.error });
    expect(await readBacklog(redis)).toBe(0);
    expect(await queuedEntries(redis)).toBe(0);
    expect(await redis.zCard(keysOf(redis).retrySchedule(home))).toBe(0);
  });
});

// Pausing the one Redis's writes is what holds the request in flight.
describe.runIf(onSingleRedis)('a server that is told to stop', () => {
  it('answers the request in flight, then exits 0', async () => {
    const { server, redis } = await stack();
    const author = await signUp(server.url, 'last_request');
    // Redis holds every write until told otherwise, so the request below stays in flight, with
    // its first write sent and unanswered, for as long as the test needs: until after the signal.
    await redis.clientPause(10_000, 'WRITE');
    const inFlight = fetch(`${server.url}/api/me/followers/synthetic`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${author.token}` },
      body: JSON.stringify({ count: 1_000 }),
    });
    const writeHeld = async () => (await redis.clientList()).some((c) => c.flags.includes('b'));
    await expect.poll(writeHeld, { timeout: 5_000 }).toBe(true);
    const exited = server.stop('SIGTERM');
    await expect.poll(() => server.output().includes('stopping'), { timeout: 5_000 }).toBe(true);
    await redis.clientUnpause();

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { followers: number } }).user.followers).toBe(1_000);
    expect(await exited).toBe(0);
  });
});
