import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { jobField, tweetField } from '@ripple/shared';
import { connectRedis, createRedisClient, keysOf, type RedisClient } from '@ripple/shared/node';
import { readServerConfig } from '../../server/src/config.js';
import { readWorkerConfig } from '../../worker/src/config.js';
import { newRunId } from '../loadtest/crowd.js';
import { startOpenLoop, type OpenLoop } from '../loadtest/open-loop.js';
import { RippleClient } from '../loadtest/ripple-client.js';
import { CALIBRATION_ROUNDS, measureDrainRate, tweetsPerRound } from './calibration.js';
import { checkJobsDone, checkPostsAnswered, checkQueuesDrained, checkTweetsStoredOnce, inBatches, type CheckResult } from './checks.js';
import { checkCatchUp, checkFanoutDone, checkRealTimelines, checkSyntheticSample, checkTimelineEvents } from './delivery-checks.js';
import { injectFaults, type FaultRecord } from './fault-injector.js';
import { planFaults } from './fault-schedule.js';
import { takeKeyCensus } from './key-census.js';
import { checkBookkeeping, checkRss, LEAK_DEFINITION, memoryRows } from './leak-checks.js';
import { buildLedger, type Ledger } from './ledger.js';
import { warmUpMs } from './memory-trend.js';
import type { SoakOptions } from './options.js';
import { planPosting } from './post-plan.js';
import { Poster } from './poster.js';
import type { SoakReport } from './report.js';
import { readBookkeeping, readRedisInfo, startSamplers, type BookkeepingReading, type Samplers } from './samplers.js';
import { addSynthetic, setUpSoakCrowd, signUpMember, soakHandles, type SoakAuthor, type SoakFollower } from './soak-crowd.js';
import { startSoakStack, type ProcessLog, type SoakStack } from './soak-stack.js';
import { closeSocketLogs, openSocketLogs, stayedConnected, type SocketLog } from './socket-log.js';

/** A finished run: the report (written as JSON) and what its processes printed. */
export interface SoakRun {
  report: SoakReport;
  /** Logs of every server and worker process, restarted ones included, for a failed run. */
  processLogs: ProcessLog[];
}

export interface SoakDeps {
  /** Progress, one line at a time (the CLI writes it to stderr). */
  log: (line: string) => void;
  /** Aborting it (Ctrl-C) stops the run: everything started is stopped and `runSoak` rejects. */
  signal?: AbortSignal;
}

/** How often the progress line is written while posting. */
const PROGRESS_EVERY_MS = 10_000;
/** After the drain, how long `timeline:new` and `fanout:done` events still on their way may take. */
const EVENTS_WAIT_MS = 15_000;
/** And how long to keep listening after that for a late duplicate. */
const DUPLICATE_GRACE_MS = 1_000;
/** Worker deaths this recent may still have a heartbeat or consumer entry (forgotten after about a minute, checked every minute). */
const RECENT_DEATH_MS = 180_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

/** Polls Redis until no work is outstanding and every accepted job is done, or `timeoutMs` passes. */
async function waitForDrain(redis: RedisClient, ledger: Ledger, timeoutMs: number, signal: AbortSignal): Promise<{ drained: boolean; waitedMs: number; jobsNotDone: number }> {
  const started = Date.now();
  let jobsNotDone = ledger.accepted.length;
  for (;;) {
    signal.throwIfAborted();
    try {
      const b = await readBookkeeping(redis, 0);
      const k = keysOf(redis);
      const statuses = await inBatches(ledger.accepted, (t) => redis.hGet(k.job(t.jobId), jobField.status));
      jobsNotDone = statuses.filter((status) => status !== 'done').length;
      if (b.backlog === 0 && b.laneEntries === 0 && b.pending === 0 && b.retries === 0 && jobsNotDone === 0) {
        return { drained: true, waitedMs: Date.now() - started, jobsNotDone };
      }
    } catch {
      // Redis still restarting: keep waiting.
    }
    if (Date.now() - started > timeoutMs) return { drained: false, waitedMs: Date.now() - started, jobsNotDone };
    await delay(500);
  }
}

/** Waits until every never-dropped socket has at least as many events as it should, or the time is up. */
async function waitForEvents(followerLogs: SocketLog[], authorLogs: SocketLog[], followers: Map<string, SoakFollower>, ledger: Ledger): Promise<void> {
  const complete = () =>
    followerLogs.filter(stayedConnected).every((log) => log.timelineNew.length >= ledger.expectedFor(followers.get(log.member.id)!).length) &&
    authorLogs.filter(stayedConnected).every((log) => log.fanoutDone.length >= (ledger.byAuthor.get(log.member.id)?.length ?? 0));
  const deadline = Date.now() + EVENTS_WAIT_MS;
  while (!complete() && Date.now() < deadline) await delay(100);
  await delay(DUPLICATE_GRACE_MS);
}

/**
 * Deliveries per second while posting, from the shared `delivered` counter: what the stack
 * actually drained under load and faults, next to the calibrated rate. Redis restarts do not
 * reset the counter (it is in the append-only file), so first and last reading suffice.
 */
function deliveredPerSecond(readings: readonly BookkeepingReading[], postingMs: number): number | null {
  const during = readings.filter((r) => r.t >= 0 && r.t <= postingMs);
  const [first, last] = [during[0], during[during.length - 1]];
  return first && last && last.t > first.t ? ((last.delivered - first.delivered) / (last.t - first.t)) * 1000 : null;
}

/**
 * When a tweet was posted and delivered (from its stored records, in seconds of posting) and
 * the last fault that began before it: `tweet 000000007521 posted at 385.2 s, fanned out
 * 385.3–386.0 s; after kill-redis 375.0–382.3 s`.
 */
async function explainTweet(redis: RedisClient, ledger: Ledger, tweetId: string, postingStarted: number, faults: readonly FaultRecord[]): Promise<string> {
  const tweet = ledger.byTweetId.get(tweetId);
  if (!tweet) return `tweet ${tweetId} (not in the ledger)`;
  const at = (ms: string | null | undefined) => (ms ? `${((Number(ms) - postingStarted) / 1000).toFixed(1)} s` : '?');
  const k = keysOf(redis);
  const [[createdAt], [startedAt, finishedAt]] = await Promise.all([
    redis.hmGet(k.tweet(tweet.seq), [tweetField.createdAt]),
    redis.hmGet(k.job(tweet.jobId), [jobField.startedAt, jobField.finishedAt]),
  ]);
  const postedAtMs = Number(createdAt) - postingStarted;
  const before = faults.filter((f) => f.startedAtMs <= postedAtMs).at(-1);
  const fault = before ? `; after ${before.kind} ${(before.startedAtMs / 1000).toFixed(1)}–${(before.endedAtMs / 1000).toFixed(1)} s` : '';
  return `tweet ${tweetId} of ${tweet.author.handle} posted at ${at(createdAt)}, fanned out ${at(startedAt)}–${at(finishedAt)}${fault}`;
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/**
 * One whole soak: start the stack, measure the drain rate, set up the crowd and its sockets,
 * post on schedule while faults are injected and memory is sampled, drain, check, report.
 * Everything it started is stopped before it returns or throws.
 */
export async function runSoak(options: SoakOptions, deps: SoakDeps): Promise<SoakRun> {
  const { log } = deps;
  const signal = deps.signal ?? new AbortController().signal;
  const runStarted = Date.now();
  const runId = newRunId();
  const postingMs = options.minutes * 60_000;
  const claimIdleMs = readWorkerConfig({}).claimIdleMs;
  const { fanoutMaxBacklog: maxBacklog } = readServerConfig({});

  log(`soak ${runId}: starting redis-server (AOF everysec), 2 server nodes and 3 workers`);
  const stack: SoakStack = await startSoakStack();
  // Should this process die without reaching `finally` (an uncaught error elsewhere, a test
  // runner tearing down), nothing it started may outlive it.
  process.once('exit', stack.killNow);
  let redis: RedisClient | null = null;
  let samplers: Samplers | null = null;
  let progress: NodeJS.Timeout | undefined;
  const sockets: SocketLog[] = [];
  const giveUp = new AbortController();
  const stopPosting = () => giveUp.abort(signal.reason);
  signal.addEventListener('abort', stopPosting, { once: true });
  try {
    const clients = stack.servers.map((server) => new RippleClient({ baseUrl: server.url }));
    const clientOf = (author: SoakAuthor) => clients[author.node]!;
    redis = createRedisClient(stack.redis.url, { commandTimeoutMs: 10_000 });
    await connectRedis(redis, () => {});
    const poster = new Poster(clientOf, runId, giveUp.signal);

    log(`redis on port ${stack.redis.port}; servers ${stack.servers.map((s) => s.url).join(', ')}`);
    log(
      `measuring the drain rate: an author with ${options.calibrationFollowers.toLocaleString('en-US')} followers posts 1 warm-up tweet, ` +
        `then ${CALIBRATION_ROUNDS} rounds of ${tweetsPerRound(options.calibrationFollowers)} tweets`,
    );
    const calibrationAuthor: SoakAuthor = {
      ...(await signUpMember(clients[1]!, soakHandles.calibration(runId), runId)),
      group: 'calibration',
      synthetic: options.calibrationFollowers,
      real: 0,
      node: 1,
    };
    await addSynthetic(clients[1]!, calibrationAuthor, options.calibrationFollowers);
    const calibration = await measureDrainRate(clients[1]!, poster, calibrationAuthor);
    signal.throwIfAborted();
    const deliveriesPerSecond = options.rate ?? calibration.deliveriesPerSecond * options.loadFraction;
    const plan = planPosting({
      deliveriesPerSecond,
      postingS: postingMs / 1000,
      largeAudiences: options.largeAudiences,
      smallAudience: options.smallAudience,
    });
    log(
      `drain rate ${Math.round(calibration.deliveriesPerSecond).toLocaleString('en-US')} deliveries/s; posting at ${Math.round(deliveriesPerSecond).toLocaleString('en-US')}/s: ` +
        `${plan.large.audiences.length} large authors at ${plan.large.tweetsPerSecond.toFixed(2)} tweets/s, ${plan.small.audiences.length} small at ${plan.small.tweetsPerSecond.toFixed(2)} tweets/s`,
    );

    log(`setting up ${plan.large.audiences.length + plan.small.audiences.length} authors and ${options.online} real followers`);
    const crowd = await setUpSoakCrowd(clients, plan, options.online, runId);
    signal.throwIfAborted();
    const authors = [...crowd.large, ...crowd.small];
    const followers = new Map(crowd.followers.map((f) => [f.id, f]));
    const followerLogs = await openSocketLogs(crowd.followers, (f) => ({ url: stack.servers[f.node]!.url, node: stack.servers[f.node]!.name }));
    sockets.push(...followerLogs);
    // Authors listen on the node that is never killed, so that their fanout:done count is checked for every job.
    const authorLogs = await openSocketLogs(authors, () => ({ url: stack.servers[1].url, node: stack.servers[1].name }));
    sockets.push(...authorLogs);

    const schedule = planFaults(postingMs);
    const postingStarted = Date.now();
    const now = () => Date.now() - postingStarted;
    samplers = startSamplers(stack, redis, now);
    log(`posting for ${seconds(postingMs)}; ${schedule.length} faults planned: ${schedule.map((f) => `${f.kind} at ${seconds(f.atMs)}`).join(', ')}`);

    const loops: OpenLoop[] = [];
    for (const group of [crowd.large, crowd.small]) {
      const rate = group === crowd.large ? plan.large.tweetsPerSecond : plan.small.tweetsPerSecond;
      if (rate <= 0) continue;
      loops.push(startOpenLoop({ rate, durationS: postingMs / 1000, fire: ({ index }) => poster.post(group[index % group.length]!) }));
    }
    signal.addEventListener('abort', () => loops.forEach((loop) => loop.stop()), { once: true });
    const faults: Promise<FaultRecord[]> = injectFaults(schedule, stack, {
      now,
      signal,
      claimIdleMs,
      onFault: (f) => log(`  ${seconds(f.startedAtMs)} ${f.kind}: ${f.error ? `FAILED: ${f.error}` : f.detail}`),
    });
    progress = setInterval(() => {
      const c = poster.counts();
      const b = samplers?.latest();
      log(`  ${seconds(now())}/${seconds(postingMs)} sent ${c.sent} accepted ${c.accepted} retrying ${c.sending} backlog ${b?.backlog ?? '?'} pending ${b?.pending ?? '?'}`);
    }, PROGRESS_EVERY_MS);
    await Promise.all(loops.map((loop) => loop.finished));
    const postingSeconds = now() / 1000;
    // A fault that ran late (a slow restart) finishes before the drain is judged.
    const faultRecords = await faults;
    clearInterval(progress);
    signal.throwIfAborted();

    log('posting stopped; waiting for answers still on their way');
    await poster.settled();
    log(`waiting up to ${options.drainTimeoutS} s for the backlog to drain`);
    const drainStarted = Date.now();
    let drain = await waitForDrain(redis, buildLedger(poster.records), options.drainTimeoutS * 1000, signal);
    // Like a person pressing Retry once the service is calm again: a tweet whose 8 tries were
    // all refused (a full backlog, Redis down) is sent once more with its own key, and must now
    // be accepted; one admitted on a try whose answer was lost comes back as the same tweet.
    const resent = await poster.resendGivenUp();
    if (resent > 0) {
      log(`resent ${resent} tweets whose tries had all been refused, with their own keys`);
      const remaining = Math.max(1000, options.drainTimeoutS * 1000 - (Date.now() - drainStarted));
      drain = await waitForDrain(redis, buildLedger(poster.records), remaining, signal);
    }
    drain = { ...drain, waitedMs: Date.now() - drainStarted };
    const ledger = buildLedger(poster.records);
    log(drain.drained ? `drained in ${seconds(drain.waitedMs)}` : `NOT drained after ${seconds(drain.waitedMs)}: ${drain.jobsNotDone} jobs not done`);
    await waitForEvents(followerLogs, authorLogs, followers, ledger);
    await samplers.stop();
    signal.throwIfAborted();

    log('checking');
    const final: BookkeepingReading | null = await readBookkeeping(redis, now()).catch(() => null);
    if (final) samplers.bookkeeping.push(final);
    const census = await takeKeyCensus(redis);
    const redisInfo = await readRedisInfo(redis);
    const warmUp = warmUpMs(postingMs);
    const rows = memoryRows(samplers.rss, warmUp, options.maxRssSlopeMbPerMin);
    const endAt = now();
    const realIds = new Set(crowd.followers.map((f) => f.id));
    const checks: CheckResult[] = [
      checkPostsAnswered(poster.records),
      await checkTweetsStoredOnce(redis, clientOf, [calibrationAuthor, ...authors], ledger),
      await checkJobsDone(clientOf, ledger),
      await checkRealTimelines(redis, crowd.followers, ledger),
      await checkSyntheticSample(redis, [calibrationAuthor, ...authors], ledger, realIds),
      await checkTimelineEvents(followerLogs, followers, ledger, (tweetId) => explainTweet(redis!, ledger, tweetId, postingStarted, faultRecords)),
      await checkCatchUp((node) => clients[node]!, followerLogs, followers, ledger),
      checkFanoutDone(authorLogs, ledger),
      checkQueuesDrained(final),
      checkBookkeeping(census, ledger, final, {
        liveWorkers: stack.workers.length,
        recentlyKilledWorkers: faultRecords.filter((f) => f.kind === 'kill-worker' && endAt - f.startedAtMs < RECENT_DEATH_MS).length,
        sockets: sockets.length,
        buckets: keysOf(redis).layout.buckets,
      }),
      checkRss(rows, options.maxRssSlopeMbPerMin),
    ];

    const report: SoakReport = {
      runId,
      startedAt: new Date(runStarted).toISOString(),
      options,
      machine: { cpus: cpus().length, totalMemMb: Math.round(totalmem() / 2 ** 20), node: process.version, redis: redisVersion() },
      calibration,
      maxBacklog,
      rate: { deliveriesPerSecond, source: options.rate === null ? 'measured' : '--rate' },
      plan,
      posting: { ...poster.counts(), seconds: postingSeconds, deliveriesPerSecond: deliveredPerSecond(samplers.bookkeeping, postingSeconds * 1000) },
      faults: faultRecords,
      drain,
      checks,
      memory: { warmUpMs: warmUp, maxRssSlopeMbPerMin: options.maxRssSlopeMbPerMin, rows, rss: samplers.rss },
      bookkeeping: samplers.bookkeeping,
      census,
      redisInfo,
      leakDefinition: LEAK_DEFINITION,
      runSeconds: (Date.now() - runStarted) / 1000,
      passed: checks.every((c) => c.passed),
    };
    return { report, processLogs: stack.logs() };
  } finally {
    clearInterval(progress);
    await samplers?.stop();
    signal.removeEventListener('abort', stopPosting);
    giveUp.abort(new Error('the soak is over'));
    closeSocketLogs(sockets);
    await redis?.close().catch(() => {});
    log('stopping redis-server, server nodes and workers');
    await stack.stop();
    process.off('exit', stack.killNow);
  }
}
