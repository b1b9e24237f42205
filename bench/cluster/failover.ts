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
import { uniqueHandle, type TimedPost, timedPost, readJob } from './bench-client.js';
import { TIMELINE_MAX, type Topology, topologyName, startEnv, settleEnvAof, bucketsPerMaster } from './bench-env.js';
import { saveOutputs, printOutputs } from './scale-out.js';

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

export async function failover(workerCount: number, followers: number): Promise<FailoverResult> {
  const topology: Topology = { kind: 'cluster', masters: 3, replicas: 1 };
  console.log(`\n— failover on ${topologyName(topology)}, ${workerCount} worker(s), ${fmt(followers)} followers …`);
  const env = await startEnv(topology);
  const cluster = env.cluster!;
  const k = keysOf(env.client);
  let server: (RippleProcess & { url: string }) | undefined;
  let workers: RippleProcess[] = [];
  try {
    server = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: '20' });
    const url = server.url;
    const celebrity = await signUp(url, uniqueHandle('failover'));
    await addFollowers(url, celebrity.token, followers);
    // The master that will die: the one holding the celebrity's bucket (its jobs, its lanes).
    const victimPort = (await cluster.masterOf(k.backlog(k.layout.bucketOf(celebrity.user.id)))).port;
    const bucketPorts = await bucketsPerMaster(env);
    const victimBuckets = bucketPorts[String(victimPort)] ?? [];
    // Small authors: three whose bucket is on the victim, three elsewhere.
    const small: Awaited<ReturnType<typeof signUp>>[] = [];
    let onVictim = 0;
    let elsewhere = 0;
    for (let i = 0; (onVictim < 3 || elsewhere < 3) && i < 200; i++) {
      const a = await signUp(url, uniqueHandle(`fsmall${i}`));
      const mine = victimBuckets.includes(k.layout.bucketOf(a.user.id));
      if (mine ? onVictim >= 3 : elsewhere >= 3) continue;
      if (mine) onVictim++;
      else elsewhere++;
      await addFollowers(url, a.token, 50);
      small.push(a);
    }
    const isOnVictim = (userId: string) => victimBuckets.includes(k.layout.bucketOf(userId));
    workers = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(env.target, { TIMELINE_MAX: String(TIMELINE_MAX) })));
    await settleEnvAof(env);
    const unreplicatedBefore = (await readCounters(env.client))[statsField.unreplicated] ?? 0;

    type Accepted = { token: string; authorId: string; jobId: string; tweetId: string; acceptedAt: number; doneAt?: number; status?: string };
    const accepted: Accepted[] = [];
    const accept = (author: { token: string; user: { id: string } }, r: TimedPost) => {
      if (r.status === 202 && r.body.job && r.body.tweet) {
        accepted.push({ token: author.token, authorId: author.user.id, jobId: r.body.job.id, tweetId: r.body.tweet.id, acceptedAt: performance.now() });
      }
    };
    const first = await timedPost(url, celebrity.token, 'failover: the big one');
    if (first.status !== 202) throw new Error(`the first celebrity tweet was refused: ${first.status} ${JSON.stringify(first.body)}`);
    accept(celebrity, first);
    // More tweets queued behind it: another big one and the small authors'.
    accept(celebrity, await timedPost(url, celebrity.token, 'failover: and again'));
    for (const s of small) accept(s, await timedPost(url, s.token, 'failover: small, queued'));
    const queuedBeforeKill = accepted.length;

    const firstJob = first.body.job!.id;
    let killedAtDelivered = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(10)) {
      const job = await readJob(url, celebrity.token, firstJob);
      if (job && job.delivered >= followers / 10) {
        killedAtDelivered = job.delivered;
        break;
      }
    }
    const victim = await cluster.masterOf(k.job(firstJob));
    if (victim.port !== victimPort) throw new Error(`the job's master is ${victim.port}, expected ${victimPort}`);
    await cluster.killNode(victim.port);
    const killedAt = performance.now();
    console.log(`  SIGKILLed master ${victim.port} (buckets ${victimBuckets.join(',')}) at ${fmt(killedAtDelivered)} delivered`);

    // Promotion: a live master serves the job's slot again.
    let promotedAt: number | null = null;
    let promotedPort: number | null = null;
    const promotion = (async () => {
      while (performance.now() - killedAt < 60_000) {
        const owner = await cluster.masterOf(k.job(firstJob)).catch(() => null);
        if (owner && owner.port !== victim.port) {
          promotedAt = performance.now();
          promotedPort = owner.port;
          return;
        }
        await delay(25);
      }
    })();

    // The celebrity's jobs, as the author sees them.
    const celebrityJobs = accepted.filter((a) => a.authorId === celebrity.user.id).map((a) => a.jobId);
    const progress: FailoverResult['progress'] = [];
    let tracing = true;
    const trace = (async () => {
      while (tracing && performance.now() - killedAt < 180_000) {
        const jobs = await Promise.all(celebrityJobs.map((id) => readJob(url, celebrity.token, id)));
        progress.push({ ms: Math.round(performance.now() - killedAt), delivered: jobs.map((j) => j?.delivered ?? null) });
        if (jobs.every((j) => j?.status === 'done')) return;
        await delay(500);
      }
    })();

    // Jobs: polled until done.
    let watching = true;
    const jobsWatch = (async () => {
      while (watching || accepted.some((a) => a.doneAt === undefined)) {
        for (const a of accepted.filter((x) => x.doneAt === undefined)) {
          const job = await readJob(url, a.token, a.jobId);
          if (job && (job.status === 'done' || job.status === 'failed')) {
            a.doneAt = performance.now();
            a.status = job.status;
          }
        }
        if (performance.now() - killedAt > 180_000) return;
        await delay(100);
      }
    })();

    // A client keeps posting every ~100 ms, small authors in turn, through the failover.
    const timeline: FailoverPost[] = [];
    let i = 0;
    for (;;) {
      const sinceKill = performance.now() - killedAt;
      const queuedDone = accepted.slice(0, queuedBeforeKill).every((a) => a.doneAt !== undefined);
      if ((sinceKill >= 10_000 && queuedDone && promotedAt !== null) || sinceKill >= 60_000) break;
      const author = small[i++ % small.length]!;
      const startedAt = performance.now();
      const r = await timedPost(url, author.token, `during ${i}`);
      timeline.push({ sinceKillMs: Math.round(startedAt - killedAt), ms: round(r.ms, 1), status: r.status, onVictim: isOnVictim(author.user.id) });
      accept(author, r);
      const wait = 100 - (performance.now() - startedAt);
      if (wait > 0) await delay(wait);
    }
    watching = false;
    await promotion;
    await jobsWatch;
    tracing = false;
    await trace;

    const doneBy = (list: Accepted[]) => (list.every((a) => a.doneAt !== undefined) ? Math.round(Math.max(...list.map((a) => a.doneAt! - killedAt))) : null);
    const unreplicated = ((await readCounters(env.client))[statsField.unreplicated] ?? 0) - unreplicatedBefore;

    // Works afterwards, without restarting anything: one more big tweet.
    let afterFailover: FailoverResult['afterFailover'] = null;
    const started = performance.now();
    const after = await timedPost(url, celebrity.token, 'after the failover');
    if (after.status === 202) {
      accept(celebrity, after);
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(50)) {
        const job = await readJob(url, celebrity.token, after.body.job!.id);
        if (job?.status === 'done') {
          const ms = performance.now() - started;
          afterFailover = { postToDoneMs: Math.round(ms), deliveriesPerSecond: Math.round(followers / (ms / 1000)) };
          accepted[accepted.length - 1]!.doneAt = performance.now();
          accepted[accepted.length - 1]!.status = 'done';
          break;
        }
      }
    }

    // Every job done with every follower delivered; a sample of the celebrity's followers hold
    // each of the celebrity's accepted tweets exactly once.
    const notDone: string[] = [];
    for (const a of accepted) {
      const job = await readJob(url, a.token, a.jobId);
      if (!job || job.status !== 'done' || job.delivered !== job.total) notDone.push(`${a.jobId}: ${job ? `${job.status} ${job.delivered}/${job.total}` : 'unreadable'}`);
    }
    const expected = accepted.filter((a) => a.authorId === celebrity.user.id).map((a) => String(seqFromTweetId(a.tweetId))).sort();
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
    const backlogAfter = await readBacklog(env.client);

    const firstAcceptOnVictim = timeline.find((p) => p.onVictim && p.status === 202);
    const result: FailoverResult = {
      followers,
      workers: workerCount,
      victimPort: victim.port,
      victimBuckets,
      promotedPort,
      killedAtDelivered,
      killToPromotionMs: promotedAt === null ? null : Math.round(promotedAt - killedAt),
      killToQueuedJobsDoneMs: doneBy(accepted.slice(0, queuedBeforeKill)),
      killToAllJobsDoneMs: doneBy(accepted.filter((a) => a.tweetId !== after.body.tweet?.id)),
      killToFirstAcceptOnVictimMs: firstAcceptOnVictim ? firstAcceptOnVictim.sinceKillMs + Math.round(firstAcceptOnVictim.ms) : null,
      posts: {
        total: timeline.length,
        accepted: timeline.filter((p) => p.status === 202).length,
        unavailable503: timeline.filter((p) => p.status === 503).length,
        other: timeline.filter((p) => p.status !== 202 && p.status !== 503).length,
        longestMs: Math.round(Math.max(...timeline.map((p) => p.ms))),
        longestOnVictimMs: Math.round(Math.max(0, ...timeline.filter((p) => p.onVictim).map((p) => p.ms))),
        longestElsewhereMs: Math.round(Math.max(0, ...timeline.filter((p) => !p.onVictim).map((p) => p.ms))),
      },
      jobs: { accepted: accepted.length, done: accepted.length - notDone.length, notDone },
      unreplicated,
      afterFailover,
      check: { sampledFollowers: sample.length, wrongTimelines: wrong, example, backlogAfter },
      timeline,
      jobTimes: accepted.map((a) => ({
        jobId: a.jobId,
        author: a.authorId === celebrity.user.id ? 'celebrity' : 'small',
        acceptedMs: Math.round(a.acceptedAt - killedAt),
        doneMs: a.doneAt === undefined ? null : Math.round(a.doneAt - killedAt),
        status: a.status ?? null,
      })),
      progress,
      logsDir: saveOutputs('failover', [server, ...workers]),
    };
    console.log(
      `  kill → promotion ${result.killToPromotionMs} ms; kill → queued jobs done ${result.killToQueuedJobsDoneMs} ms; kill → all jobs done ${result.killToAllJobsDoneMs} ms; ` +
        `longest request ${result.posts.longestMs} ms (${result.posts.unavailable503} × 503 of ${result.posts.total}); unreplicated ${unreplicated}; ` +
        `timelines wrong ${wrong} of ${sample.length} sampled; backlog after ${backlogAfter}`,
    );
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
