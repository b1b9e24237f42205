import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { jobField, tweetField } from '@ripple/shared';
import { connectRedis, createRedisClient, keysOf, type RedisClient } from '@ripple/shared/node';
import { readServerConfig } from '../../server/src/config.js';
import { newRunId } from '../loadtest/crowd.js';
import { RippleClient } from '../loadtest/ripple-client.js';
import { checkJobsDone, checkPostsAnswered, checkQueuesDrained, checkTweetsStoredOnce, type CheckResult } from './checks.js';
import { checkCatchUp, checkFanoutDone, checkRealTimelines, checkSyntheticSample, checkTimelineEvents } from './delivery-checks.js';
import type { FaultRecord } from './fault-injector.js';
import { takeKeyCensus } from './key-census.js';
import { checkBookkeeping, checkRss, LEAK_DEFINITION, memoryRows } from './leak-checks.js';
import type { Ledger } from './ledger.js';
import { warmUpMs } from './memory-trend.js';
import type { SoakOptions } from './options.js';
import { planPosting } from './post-plan.js';
import { Poster } from './poster.js';
import type { SoakReport } from './report.js';
import { readBookkeeping, readRedisInfo, startSamplers, type BookkeepingReading, type Samplers } from './samplers.js';
import type { SoakAuthor } from './soak-crowd.js';
import { calibrate, drainAll, postWithFaults, setUpCrowd, waitForEvents, type SoakContext } from './soak-phases.js';
import { startSoakStack, type ProcessLog, type SoakStack } from './soak-stack.js';
import { closeSocketLogs, type SocketLog } from './socket-log.js';

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

/** Worker deaths this recent may still have a heartbeat or consumer entry (forgotten after about a minute, checked every minute). */
const RECENT_DEATH_MS = 180_000;

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
  const { fanoutMaxBacklog: maxBacklog } = readServerConfig({});

  log(`soak ${runId}: starting redis-server (AOF everysec), 2 server nodes and 3 workers`);
  const stack: SoakStack = await startSoakStack();
  // Should this process die without reaching `finally` (an uncaught error elsewhere, a test
  // runner tearing down), nothing it started may outlive it.
  process.once('exit', stack.killNow);
  let redis: RedisClient | null = null;
  let samplers: Samplers | null = null;
  const sockets: SocketLog[] = [];
  const giveUp = new AbortController();
  const stopPosting = () => giveUp.abort(signal.reason);
  signal.addEventListener('abort', stopPosting, { once: true });
  try {
    const clients = stack.servers.map((server) => new RippleClient({ baseUrl: server.url }));
    const clientOf = (author: SoakAuthor) => clients[author.node]!;
    redis = createRedisClient(stack.redis.url, { commandTimeoutMs: 10_000 });
    await connectRedis(redis, () => {});
    const ctx: SoakContext = { options, runId, log, signal, stack, redis, clients, clientOf, poster: new Poster(clientOf, runId, giveUp.signal) };
    log(`redis on port ${stack.redis.port}; servers ${stack.servers.map((s) => s.url).join(', ')}`);

    const { calibrationAuthor, calibration } = await calibrate(ctx);
    signal.throwIfAborted();
    const deliveriesPerSecond = options.rate ?? calibration.deliveriesPerSecond * options.loadFraction;
    const plan = planPosting({ deliveriesPerSecond, postingS: postingMs / 1000, largeAudiences: options.largeAudiences, smallAudience: options.smallAudience });
    log(
      `drain rate ${Math.round(calibration.deliveriesPerSecond).toLocaleString('en-US')} deliveries/s; posting at ${Math.round(deliveriesPerSecond).toLocaleString('en-US')}/s: ` +
        `${plan.large.audiences.length} large authors at ${plan.large.tweetsPerSecond.toFixed(2)} tweets/s, ${plan.small.audiences.length} small at ${plan.small.tweetsPerSecond.toFixed(2)} tweets/s`,
    );

    const { crowd, authors, followers, followerLogs, authorLogs } = await setUpCrowd(ctx, plan, options.online, runId, sockets);
    signal.throwIfAborted();
    const postingStarted = Date.now();
    const now = () => Date.now() - postingStarted;
    samplers = startSamplers(stack, redis, now);
    const { postingSeconds, faultRecords } = await postWithFaults(ctx, plan, crowd, now, samplers);
    signal.throwIfAborted();

    const { drain, ledger } = await drainAll(ctx);
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
      checkPostsAnswered(ctx.poster.records),
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
      posting: { ...ctx.poster.counts(), seconds: postingSeconds, deliveriesPerSecond: deliveredPerSecond(samplers.bookkeeping, postingSeconds * 1000) },
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
