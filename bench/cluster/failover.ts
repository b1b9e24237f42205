/**
 * Part 3: a master SIGKILLed in the middle of a big fan-out while a client keeps posting; how
 * long promotion and the jobs take, and whether every timeline is right afterwards.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { seqFromTweetId, statsField } from '@ripple/shared';
import { keysOf } from '@ripple/shared/node';
import { readBacklog, readCounters } from '../../server/src/store/bucket-totals.js';
import { addFollowers } from '../../test/support/http-api.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../../test/support/processes.js';
import { followerIds } from '../../test/support/timelines.js';
import { signUp } from '../../test/support/users.js';
import { round, fmt } from './measure-math.js';
import { uniqueHandle, timedPost, readJob } from './bench-client.js';
import { TIMELINE_MAX, type Topology, topologyName, startEnv, settleEnvAof, bucketsPerMaster } from './bench-env.js';
import { saveOutputs, printOutputs } from './scale-out.js';
import { acceptedLog, traceProgress, watchJobs, watchPromotion, type Accepted, type Author, type Env } from './failover-watchers.js';

export interface FailoverPost {
  sinceKillMs: number;
  ms: number;
  status: number;
  /** The author's bucket was on the killed master. */
  onVictim: boolean;
}

export interface FailoverResult {
  followers: number;
  workers: number;
  victimPort: number;
  victimBuckets: number[];
  promotedPort: number | null;
  killedAtDelivered: number;
  killToPromotionMs: number | null;
  /** Until every job accepted before the kill was done. */
  killToQueuedJobsDoneMs: number | null;
  /** Until every job accepted before and during the failover was done. */
  killToAllJobsDoneMs: number | null;
  /** The first tweet accepted after the kill by an author whose bucket was on the killed master. */
  killToFirstAcceptOnVictimMs: number | null;
  posts: { total: number; accepted: number; unavailable503: number; other: number; longestMs: number; longestOnVictimMs: number; longestElsewhereMs: number };
  jobs: { accepted: number; done: number; notDone: string[] };
  unreplicated: number;
  afterFailover: { postToDoneMs: number; deliveriesPerSecond: number } | null;
  check: { sampledFollowers: number; wrongTimelines: number; example: string; backlogAfter: number };
  timeline: FailoverPost[];
  /** Every accepted job: when (ms after the kill) it was accepted and seen done. */
  jobTimes: { jobId: string; author: 'celebrity' | 'small'; acceptedMs: number; doneMs: number | null; status: string | null }[];
  /** The celebrity's first jobs' delivered counts every ~500 ms from the kill on. */
  progress: { ms: number; delivered: (number | null)[] }[];
  /** Where the server's and workers' output was saved. */
  logsDir: string;
}

/** The authors: a celebrity and six small ones, three whose bucket is on the master that will die. */
async function signUpAuthors(env: Env, url: string, followers: number) {
  const k = keysOf(env.client);
  const celebrity = await signUp(url, uniqueHandle('failover'));
  await addFollowers(url, celebrity.token, followers);
  // The master that will die: the one holding the celebrity's bucket (its jobs, its lanes).
  const victimPort = (await env.cluster!.masterOf(k.backlog(k.layout.bucketOf(celebrity.user.id)))).port;
  const victimBuckets = (await bucketsPerMaster(env))[String(victimPort)] ?? [];
  const isOnVictim = (userId: string) => victimBuckets.includes(k.layout.bucketOf(userId));
  const small: Author[] = [];
  let onVictim = 0;
  let elsewhere = 0;
  for (let i = 0; (onVictim < 3 || elsewhere < 3) && i < 200; i++) {
    const a = await signUp(url, uniqueHandle(`fsmall${i}`));
    const mine = isOnVictim(a.user.id);
    if (mine ? onVictim >= 3 : elsewhere >= 3) continue;
    if (mine) onVictim++;
    else elsewhere++;
    await addFollowers(url, a.token, 50);
    small.push(a);
  }
  return { celebrity, small, victimPort, victimBuckets, isOnVictim };
}

/** Waits until the first big job is a tenth delivered, then SIGKILLs the master holding it. */
async function killMidFanOut(env: Env, url: string, celebrity: Author, firstJob: string, followers: number, victimPort: number) {
  let killedAtDelivered = 0;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(10)) {
    const job = await readJob(url, celebrity.token, firstJob);
    if (job && job.delivered >= followers / 10) {
      killedAtDelivered = job.delivered;
      break;
    }
  }
  const victim = await env.cluster!.masterOf(keysOf(env.client).job(firstJob));
  if (victim.port !== victimPort) throw new Error(`the job's master is ${victim.port}, expected ${victimPort}`);
  await env.cluster!.killNode(victim.port);
  return { killedAt: performance.now(), killedAtDelivered };
}

/**
 * A client posting every ~100 ms, small authors in turn, through the failover: until 10 s have
 * passed, the jobs queued before the kill are done and a master was promoted (or 60 s).
 */
async function postThroughFailover(
  url: string,
  small: Author[],
  log: ReturnType<typeof acceptedLog>,
  queuedBeforeKill: number,
  killedAt: number,
  isOnVictim: (userId: string) => boolean,
  promoted: () => boolean,
) {
  const timeline: FailoverPost[] = [];
  for (let i = 0; ;) {
    const sinceKill = performance.now() - killedAt;
    const queuedDone = log.accepted.slice(0, queuedBeforeKill).every((a) => a.doneAt !== undefined);
    if ((sinceKill >= 10_000 && queuedDone && promoted()) || sinceKill >= 60_000) break;
    const author = small[i++ % small.length]!;
    const startedAt = performance.now();
    const r = await timedPost(url, author.token, `during ${i}`);
    timeline.push({ sinceKillMs: Math.round(startedAt - killedAt), ms: round(r.ms, 1), status: r.status, onVictim: isOnVictim(author.user.id) });
    log.accept(author, r);
    const wait = 100 - (performance.now() - startedAt);
    if (wait > 0) await delay(wait);
  }
  return timeline;
}

/** One more big tweet once the failover is over, without restarting anything: how long it takes. */
async function postAfterFailover(url: string, celebrity: Author, log: ReturnType<typeof acceptedLog>, followers: number) {
  const started = performance.now();
  const after = await timedPost(url, celebrity.token, 'after the failover');
  if (after.status !== 202) return { afterTweetId: undefined, afterFailover: null };
  log.accept(celebrity, after);
  const entry = log.accepted[log.accepted.length - 1]!;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(50)) {
    const job = await readJob(url, celebrity.token, after.body.job!.id);
    if (job?.status === 'done') {
      const ms = performance.now() - started;
      entry.doneAt = performance.now();
      entry.status = 'done';
      return { afterTweetId: entry.tweetId, afterFailover: { postToDoneMs: Math.round(ms), deliveriesPerSecond: Math.round(followers / (ms / 1000)) } };
    }
  }
  return { afterTweetId: entry.tweetId, afterFailover: null };
}

/**
 * Every job done with every follower delivered, and a sample of the celebrity's followers
 * holding each of the celebrity's accepted tweets exactly once.
 */
async function checkJobsAndTimelines(env: Env, url: string, celebrity: Author, accepted: Accepted[]) {
  const notDone: string[] = [];
  for (const a of accepted) {
    const job = await readJob(url, a.token, a.jobId);
    if (!job || job.status !== 'done' || job.delivered !== job.total)
      notDone.push(`${a.jobId}: ${job ? `${job.status} ${job.delivered}/${job.total}` : 'unreadable'}`);
  }
  const k = keysOf(env.client);
  const expected = accepted
    .filter((a) => a.authorId === celebrity.user.id)
    .map((a) => String(seqFromTweetId(a.tweetId)))
    .sort();
  const ids = await followerIds(env.client, celebrity.user.id);
  const sample = Array.from({ length: Math.min(20_000, ids.length) }, () => ids[Math.floor(Math.random() * ids.length)]!);
  let wrong = 0;
  let example = '';
  for (let s = 0; s < sample.length; s += 2_000) {
    const slice = sample.slice(s, s + 2_000);
    const lists = await Promise.all(slice.map((id) => env.client.lRange(k.timeline(id), 0, -1)));
    lists.forEach((entries, j) => {
      const sorted = [...entries].sort();
      if (sorted.length !== expected.length || sorted.some((e, x) => e !== expected[x])) {
        wrong++;
        example ||= `follower ${slice[j]} has [${entries.join(', ')}], expected [${expected.join(', ')}]`;
      }
    });
  }
  const check = { sampledFollowers: sample.length, wrongTimelines: wrong, example, backlogAfter: await readBacklog(env.client) };
  return { notDone, check };
}

function postsSummary(timeline: FailoverPost[]): FailoverResult['posts'] {
  const longest = (posts: FailoverPost[]) => Math.round(Math.max(0, ...posts.map((p) => p.ms)));
  return {
    total: timeline.length,
    accepted: timeline.filter((p) => p.status === 202).length,
    unavailable503: timeline.filter((p) => p.status === 503).length,
    other: timeline.filter((p) => p.status !== 202 && p.status !== 503).length,
    longestMs: longest(timeline),
    longestOnVictimMs: longest(timeline.filter((p) => p.onVictim)),
    longestElsewhereMs: longest(timeline.filter((p) => !p.onVictim)),
  };
}

function printSummary(result: FailoverResult): void {
  console.log(
    `  kill → promotion ${result.killToPromotionMs} ms; kill → queued jobs done ${result.killToQueuedJobsDoneMs} ms; kill → all jobs done ${result.killToAllJobsDoneMs} ms; ` +
      `longest request ${result.posts.longestMs} ms (${result.posts.unavailable503} × 503 of ${result.posts.total}); unreplicated ${result.unreplicated}; ` +
      `timelines wrong ${result.check.wrongTimelines} of ${result.check.sampledFollowers} sampled; backlog after ${result.check.backlogAfter}`,
  );
}

export async function failover(workerCount: number, followers: number): Promise<FailoverResult> {
  const topology: Topology = { kind: 'cluster', masters: 3, replicas: 1 };
  console.log(`\n— failover on ${topologyName(topology)}, ${workerCount} worker(s), ${fmt(followers)} followers …`);
  const env = await startEnv(topology);
  let server: (RippleProcess & { url: string }) | undefined;
  let workers: RippleProcess[] = [];
  try {
    server = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: '20' });
    const url = server.url;
    const { celebrity, small, victimPort, victimBuckets, isOnVictim } = await signUpAuthors(env, url, followers);
    workers = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(env.target, { TIMELINE_MAX: String(TIMELINE_MAX) })));
    await settleEnvAof(env);
    const unreplicatedBefore = (await readCounters(env.client))[statsField.unreplicated] ?? 0;

    // The big fan-out, and more tweets queued behind it: another big one and the small authors'.
    const log = acceptedLog();
    const first = await timedPost(url, celebrity.token, 'failover: the big one');
    if (first.status !== 202) throw new Error(`the first celebrity tweet was refused: ${first.status} ${JSON.stringify(first.body)}`);
    log.accept(celebrity, first);
    log.accept(celebrity, await timedPost(url, celebrity.token, 'failover: and again'));
    for (const s of small) log.accept(s, await timedPost(url, s.token, 'failover: small, queued'));
    const queuedBeforeKill = log.accepted.length;

    const firstJob = first.body.job!.id;
    const { killedAt, killedAtDelivered } = await killMidFanOut(env, url, celebrity, firstJob, followers, victimPort);
    console.log(`  SIGKILLed master ${victimPort} (buckets ${victimBuckets.join(',')}) at ${fmt(killedAtDelivered)} delivered`);

    let promoted: Awaited<ReturnType<typeof watchPromotion>> | undefined;
    const promotion = watchPromotion(env, firstJob, victimPort, killedAt).then((p) => (promoted = p));
    let posting = true;
    let tracing = true;
    const celebrityJobs = log.accepted.filter((a) => a.authorId === celebrity.user.id).map((a) => a.jobId);
    const progress = traceProgress(url, celebrity, celebrityJobs, killedAt, () => !tracing);
    const jobsWatch = watchJobs(url, log.accepted, killedAt, () => !posting);
    const timeline = await postThroughFailover(url, small, log, queuedBeforeKill, killedAt, isOnVictim, () => promoted?.promotedAt != null);
    posting = false;
    const { promotedAt, promotedPort } = await promotion;
    await jobsWatch;
    tracing = false;
    const progressPoints = await progress;

    const doneBy = (list: Accepted[]) => (list.every((a) => a.doneAt !== undefined) ? Math.round(Math.max(...list.map((a) => a.doneAt! - killedAt))) : null);
    const unreplicated = ((await readCounters(env.client))[statsField.unreplicated] ?? 0) - unreplicatedBefore;
    const { afterTweetId, afterFailover } = await postAfterFailover(url, celebrity, log, followers);
    const { notDone, check } = await checkJobsAndTimelines(env, url, celebrity, log.accepted);
    const firstAcceptOnVictim = timeline.find((p) => p.onVictim && p.status === 202);
    const result: FailoverResult = {
      followers,
      workers: workerCount,
      victimPort,
      victimBuckets,
      promotedPort,
      killedAtDelivered,
      killToPromotionMs: promotedAt === null ? null : Math.round(promotedAt - killedAt),
      killToQueuedJobsDoneMs: doneBy(log.accepted.slice(0, queuedBeforeKill)),
      killToAllJobsDoneMs: doneBy(log.accepted.filter((a) => a.tweetId !== afterTweetId)),
      killToFirstAcceptOnVictimMs: firstAcceptOnVictim ? firstAcceptOnVictim.sinceKillMs + Math.round(firstAcceptOnVictim.ms) : null,
      posts: postsSummary(timeline),
      jobs: { accepted: log.accepted.length, done: log.accepted.length - notDone.length, notDone },
      unreplicated,
      afterFailover,
      check,
      timeline,
      jobTimes: log.accepted.map((a) => ({
        jobId: a.jobId,
        author: a.authorId === celebrity.user.id ? 'celebrity' : 'small',
        acceptedMs: Math.round(a.acceptedAt - killedAt),
        doneMs: a.doneAt === undefined ? null : Math.round(a.doneAt - killedAt),
        status: a.status ?? null,
      })),
      progress: progressPoints,
      logsDir: saveOutputs('failover', [server, ...workers]),
    };
    printSummary(result);
    return result;
  } catch (err) {
    printOutputs([server, ...workers]);
    throw err;
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await server?.stop();
    await env.stop();
  }
}
