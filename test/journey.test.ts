import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { JOB_RETENTION_S, jobJourneySchema, seqFromTweetId, tweetField, type Job, type JobJourney, type JourneyStep } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { watchDashboard } from './support/dashboard.js';
import { addFollowers, api, postTweet } from './support/http-api.js';
import { waitForJob } from './support/jobs.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { startRedisUnderTest } from './support/redis-under-test.js';
import { connectedClient } from './support/ripple.js';
import { pendingChunks } from './support/streams.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';
import { signUp } from './support/users.js';

/** Everything a test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: { stop(): Promise<void> }[]; clients: RedisClient[] } = { procs: [], redis: [], clients: [] };
afterEach(async () => {
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

/**
 * A Redis (a cluster in the `cluster` project), one server process and a way to add worker
 * processes: workers as processes, since a journey names them by the CPU reports processes publish.
 */
async function stack() {
  const redisUnderTest = await startRedisUnderTest();
  started.redis.push(redisUnderTest);
  const server = await spawnServer(redisUnderTest.target);
  started.procs.push(server);
  const redis = await connectedClient(redisUnderTest.target);
  started.clients.push(redis);
  const worker = async (env: Record<string, string> = {}) => {
    const proc = await spawnWorker(redisUnderTest.target, { FANOUT_CLAIM_IDLE_MS: '1000', ...env });
    started.procs.push(proc);
    return proc;
  };
  return { server, redis, worker };
}

const journeyRequest = (base: string, token: string, jobId: string) =>
  fetch(`${base}/api/jobs/${jobId}/journey`, { headers: { Authorization: `Bearer ${token}` } });

async function journeyOf(base: string, token: string, jobId: string): Promise<JobJourney> {
  const res = await journeyRequest(base, token, jobId);
  expect(res.status).toBe(200);
  const raw = await res.text();
  // Workers are named by number, as on the dashboard: no host name leaves the server.
  expect(raw).not.toContain(hostname());
  return jobJourneySchema.parse(JSON.parse(raw));
}

const kinds = (journey: JobJourney) => journey.steps.map((s) => s.kind);
const times = (journey: JobJourney) => journey.steps.map((s) => Date.parse(s.at));
const WORKER = /^worker \d+$/;

/** The journey's own steps around the entries' ones: accepted, queued, …, done; times never going back. */
function expectWholeJourney(journey: JobJourney, head: JourneyStep['kind'][] = ['accepted', 'queued']): JourneyStep[] {
  const all = kinds(journey);
  expect(all.slice(0, head.length)).toEqual(head);
  expect(all[all.length - 1]).toBe('done');
  const at = times(journey);
  expect(at).toEqual([...at].sort((a, b) => a - b));
  return journey.steps.slice(head.length, -1);
}

/**
 * SIGKILLs a job's only worker while it holds a chunk it has started (a page written, its
 * `started` step recorded) and not finished, and says which chunk and which worker. The worker
 * is frozen (SIGSTOP) while that is checked, so it dies with what was seen. The delivered count
 * cannot tell this alone: progress is reported a chunk at a time on a cluster, so a kill at some
 * count can land between chunks, when the worker holds nothing left to take over.
 */
async function killMidChunk(victim: RippleProcess, redis: RedisClient, base: string, token: string, jobId: string): Promise<{ chunk: string; worker: string }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    victim.child.kill('SIGSTOP');
    const held = await pendingChunks(redis);
    const started = (await journeyOf(base, token, jobId)).steps.find((s) => s.kind === 'started' && held.includes(s.chunks[0]!));
    if (started) {
      await victim.stop('SIGKILL');
      return { chunk: started.chunks[0]!, worker: started.worker! };
    }
    victim.child.kill('SIGCONT');
    await delay(5);
  }
  throw new Error(`job ${jobId}: its worker never held a started chunk`);
}

describe('GET /api/jobs/:id/journey', () => {
  it('tells a fan-out as accepted, queued, each entry started by a numbered worker, then done; only to its author', async () => {
    const { server, redis, worker } = await stack();
    await worker();
    const author = await signUp(server.url, 'journeyer');
    const other = await signUp(server.url, 'onlooker');
    await addFollowers(server.url, author.token, 25_000);
    const { job } = await postTweet(server.url, author.token, 'watch me travel');
    await waitForJob(server.url, author.token, job.id, 'done');

    const journey = await journeyOf(server.url, author.token, job.id);
    expect(journey.job).toMatchObject({ id: job.id, status: 'done', delivered: 25_000 });
    expect(journey.truncated).toBe(false);
    const entries = expectWholeJourney(journey);
    expect(entries.length).toBeGreaterThanOrEqual(3); // 25 000 followers in chunks of 10 000 at most
    for (const step of entries) {
      expect(step).toMatchObject({ kind: 'started', worker: expect.stringMatching(WORKER), attempt: 1, error: null });
      expect(step.chunks.length).toBeGreaterThan(0);
    }
    // Each chunk started once: nothing crashed, nothing was retried.
    const chunks = entries.flatMap((s) => s.chunks);
    expect(new Set(chunks).size).toBe(chunks.length);
    expect(journey.steps[0]!.at).toBe(journey.job.enqueuedAt);
    expect(journey.steps[journey.steps.length - 1]!.at).toBe(journey.job.finishedAt);
    // Kept as long as the job, and no longer.
    const ttl = await redis.ttl(keysOf(redis).journey(job.id));
    expect(ttl).toBeGreaterThan(JOB_RETENTION_S - 60);
    expect(ttl).toBeLessThanOrEqual(JOB_RETENTION_S);

    const forbidden = await journeyRequest(server.url, other.token, job.id);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    for (const unknown of ['99999999', 'not-a-job']) {
      const missing = await journeyRequest(server.url, author.token, unknown);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    expect((await fetch(`${server.url}/api/jobs/${job.id}/journey`)).status).toBe(401);

    // By the tweet, for a page that holds the tweet but not its job: the same journey, the same access.
    const byTweet = (token: string, tweetId: string) => fetch(`${server.url}/api/tweets/${tweetId}/journey`, { headers: { Authorization: `Bearer ${token}` } });
    expect(jobJourneySchema.parse(await (await byTweet(author.token, job.tweetId)).json()).steps).toEqual(journey.steps);
    expect((await byTweet(other.token, job.tweetId)).status).toBe(403);
    expect((await byTweet(author.token, '9999999999999')).status).toBe(404);
    expect((await byTweet(author.token, 'abc')).status).toBe(400);

    // A delete job travels the same way.
    const { job: removal } = await api<{ job: Job }>(server.url, `/api/tweets/${job.tweetId}`, { method: 'DELETE', token: author.token });
    await waitForJob(server.url, author.token, removal.id, 'done');
    expect((await byTweet(author.token, job.tweetId)).status).toBe(404);
    const removed = await journeyOf(server.url, author.token, removal.id);
    expect(removed.job.kind).toBe('delete');
    for (const step of expectWholeJourney(removed)) expect(step).toMatchObject({ kind: 'started', worker: expect.stringMatching(WORKER) });
  });

  it('shows a worker SIGKILLed mid-job being taken over by another worker, and the job still done', async () => {
    const { server, redis, worker } = await stack();
    const author = await signUp(server.url, 'taken_over');
    await addFollowers(server.url, author.token, 50_000);
    const victim = await worker({ FANOUT_PAGE_SIZE: '200' });
    const { tweet, job } = await postTweet(server.url, author.token, 'survives its worker');
    const { chunk, worker: victimName } = await killMidChunk(victim, redis, server.url, author.token, job.id);
    expect(victimName).toMatch(WORKER);

    await worker();
    await waitForJob(server.url, author.token, job.id, 'done');
    const journey = await journeyOf(server.url, author.token, job.id);
    const entries = expectWholeJourney(journey);
    const takeover = entries.find((s) => s.kind === 'takeover');
    expect(takeover).toMatchObject({ from: victimName, worker: expect.stringMatching(WORKER), chunks: [chunk] });
    expect(takeover!.worker).not.toBe(victimName);
    // Its chunk starts again after the takeover, by the worker left standing.
    const restarted = entries.find((s) => s.kind === 'started' && Date.parse(s.at) >= Date.parse(takeover!.at) && s.chunks[0] === chunk);
    expect(restarted).toMatchObject({ worker: takeover!.worker });
    await expectEveryFollowerHasEachOnce(redis, author.user.id, [seqFromTweetId(tweet.id)]);
  });

  it('shows an attempt that failed, its retry, and the job done after it', async () => {
    const { server, redis, worker } = await stack();
    const author = await signUp(server.url, 'retried');
    await api(server.url, '/api/follows', { token: (await signUp(server.url, 'retry_reader')).token, body: { handle: 'retried' } });
    // No worker yet: the tweet is made unreadable before anyone runs its job, so the first attempt fails.
    const { tweet, job } = await postTweet(server.url, author.token, 'fails once');
    const tweetKey = keysOf(redis).tweet(seqFromTweetId(tweet.id));
    const id = (await redis.hGet(tweetKey, tweetField.id))!;
    await redis.hDel(tweetKey, tweetField.id);
    await worker({ FANOUT_RETRY_BASE_MS: '2000' });
    await expect.poll(async () => kinds(await journeyOf(server.url, author.token, job.id)), { timeout: 10_000 }).toEqual(['accepted', 'queued', 'retry']);
    await redis.hSet(tweetKey, tweetField.id, id);

    await waitForJob(server.url, author.token, job.id, 'done');
    const journey = await journeyOf(server.url, author.token, job.id);
    expect(kinds(journey)).toEqual(['accepted', 'queued', 'retry', 'started', 'done']);
    const [, , retry, start] = journey.steps;
    expect(retry).toMatchObject({ worker: expect.stringMatching(WORKER), attempt: 2, error: expect.stringContaining('no longer exists') });
    expect(Date.parse(retry!.dueAt!)).toBeGreaterThan(Date.parse(retry!.at));
    expect(start).toMatchObject({ worker: retry!.worker, attempt: 2 });
  });

  it('shows a scheduled tweet accepted, then published when due, then its fan-out', async () => {
    const { server, worker } = await stack();
    await worker();
    const author = await signUp(server.url, 'scheduler');
    await api(server.url, '/api/follows', { token: (await signUp(server.url, 'sched_reader')).token, body: { handle: 'scheduler' } });
    const publishAt = new Date(Date.now() + 5_500).toISOString();
    const { job } = await api<{ job: Job }>(server.url, '/api/tweets', { token: author.token, body: { text: 'later', publishAt } });
    expect(kinds(await journeyOf(server.url, author.token, job.id))).toEqual(['accepted']);

    await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 20_000 });
    const journey = await journeyOf(server.url, author.token, job.id);
    expectWholeJourney(journey, ['accepted', 'published', 'queued']);
    expect(Date.parse(journey.steps[1]!.at)).toBeGreaterThanOrEqual(Date.parse(publishAt));
    expect(Date.parse(journey.steps[1]!.at) - Date.parse(journey.steps[0]!.at)).toBeGreaterThanOrEqual(5_000);
  });
});

describe('the dashboard beside the journeys', () => {
  it("shows the scheduled tweets waiting, the delivery mix of admitted tweets, and each worker's activity by its journey name", async () => {
    const { server, worker } = await stack();
    await worker();
    const author = await signUp(server.url, 'dash_author');
    await addFollowers(server.url, author.token, 30_000);
    const dashboard = watchDashboard(server.url);
    try {
      // A worker's activity is a rate between two of its reports that the server read. Until the
      // server has read one, a job done at once would already be in the first, and never show.
      await expect.poll(async () => (await dashboard.next()).cpu.some((row) => row.role === 'worker'), { timeout: 10_000 }).toBe(true);
      await api(server.url, '/api/tweets', { token: author.token, body: { text: 'much later', publishAt: new Date(Date.now() + 3_600_000).toISOString() } });
      const { job } = await postTweet(server.url, author.token, 'now');
      await waitForJob(server.url, author.token, job.id, 'done');
      const started = (await journeyOf(server.url, author.token, job.id)).steps.find((s) => s.kind === 'started')!;

      await expect.poll(async () => (await dashboard.next()).scheduledWaiting, { timeout: 10_000 }).toBe(1);
      // Rates over each second: what was admitted and run comes back summed over the snapshots.
      const admitted = () => dashboard.snapshots.reduce((sum, s) => sum + s.deliveryMix.fanOut, 0);
      await expect.poll(async () => (await dashboard.next(), admitted()), { timeout: 10_000 }).toBeGreaterThan(0.5);
      expect(dashboard.snapshots.every((s) => s.deliveryMix.inline === 0 && s.deliveryMix.onRead === 0)).toBe(true);
      // /metrics counts the same: the tweet posted now, not the scheduled one.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^ripple_tweets_admitted_total\{delivery="fan-out"\} 1$/m);
      expect(metrics).toMatch(/^ripple_tweets_admitted_total\{delivery="on-read"\} 0$/m);
      const ranBy = (name: string) =>
        dashboard.snapshots.flatMap((s) => s.cpu).filter((row) => `${row.role} ${row.process}` === name && (row.deliveriesPerSecond ?? 0) > 0);
      const workerRows = () => JSON.stringify(dashboard.snapshots.map((s) => [s.t, s.cpu.filter((row) => row.role === 'worker')]));
      const deadline = Date.now() + 10_000;
      while (ranBy(started.worker!).length === 0 && Date.now() < deadline) await dashboard.next();
      expect(ranBy(started.worker!).length, `${started.worker} busy in none of ${workerRows()}`).toBeGreaterThan(0);
      const row = ranBy(started.worker!)[0]!;
      expect(row.entriesPerSecond).toBeGreaterThan(0);
    } finally {
      dashboard.close();
    }
  });
});
