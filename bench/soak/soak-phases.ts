/** The phases of a soak run, in order: calibrate, set up the crowd, post under faults, drain. */
import { setTimeout as delay } from 'node:timers/promises';
import { jobField } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readWorkerConfig } from '../../worker/src/config.js';
import { startOpenLoop, type OpenLoop } from '../loadtest/open-loop.js';
import type { RippleClient } from '../loadtest/ripple-client.js';
import { CALIBRATION_ROUNDS, measureDrainRate, tweetsPerRound } from './calibration.js';
import { inBatches } from './checks.js';
import { injectFaults, type FaultRecord } from './fault-injector.js';
import { planFaults } from './fault-schedule.js';
import { buildLedger, type Ledger } from './ledger.js';
import type { SoakOptions } from './options.js';
import type { planPosting } from './post-plan.js';
import type { Poster } from './poster.js';
import { readBookkeeping, type Samplers } from './samplers.js';
import { addSynthetic, setUpSoakCrowd, signUpMember, soakHandles, type SoakAuthor, type SoakFollower } from './soak-crowd.js';
import type { SoakStack } from './soak-stack.js';
import { openSocketLogs, stayedConnected, type SocketLog } from './socket-log.js';

export const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

/** How often the progress line is written while posting. */
const PROGRESS_EVERY_MS = 10_000;
/** After the drain, how long `timeline:new` and `fanout:done` events still on their way may take. */
const EVENTS_WAIT_MS = 15_000;
/** And how long to keep listening after that for a late duplicate. */
const DUPLICATE_GRACE_MS = 1_000;

/** Polls Redis until no work is outstanding and every accepted job is done, or `timeoutMs` passes. */
async function waitForDrain(
  redis: RedisClient,
  ledger: Ledger,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ drained: boolean; waitedMs: number; jobsNotDone: number }> {
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
export async function waitForEvents(followerLogs: SocketLog[], authorLogs: SocketLog[], followers: Map<string, SoakFollower>, ledger: Ledger): Promise<void> {
  const complete = () =>
    followerLogs.filter(stayedConnected).every((log) => log.timelineNew.length >= ledger.expectedFor(followers.get(log.member.id)!).length) &&
    authorLogs.filter(stayedConnected).every((log) => log.fanoutDone.length >= (ledger.byAuthor.get(log.member.id)?.length ?? 0));
  const deadline = Date.now() + EVENTS_WAIT_MS;
  while (!complete() && Date.now() < deadline) await delay(100);
  await delay(DUPLICATE_GRACE_MS);
}

/** What every phase of a run works with. */
export interface SoakContext {
  options: SoakOptions;
  runId: string;
  log: (line: string) => void;
  signal: AbortSignal;
  stack: SoakStack;
  redis: RedisClient;
  clients: RippleClient[];
  clientOf: (author: SoakAuthor) => RippleClient;
  poster: Poster;
}

/** Phase 1: an author with a large synthetic audience measures how fast the stack drains. */
export async function calibrate({ options, runId, log, clients, poster }: SoakContext) {
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
  return { calibrationAuthor, calibration };
}

/** Phase 2: the authors and real followers, each follower and author with a socket open. */
export async function setUpCrowd(
  { stack, clients, log }: SoakContext,
  plan: ReturnType<typeof planPosting>,
  online: number,
  runId: string,
  sockets: SocketLog[],
) {
  log(`setting up ${plan.large.audiences.length + plan.small.audiences.length} authors and ${online} real followers`);
  const crowd = await setUpSoakCrowd(clients, plan, online, runId);
  const followerLogs = await openSocketLogs(crowd.followers, (f) => ({ url: stack.servers[f.node]!.url, node: stack.servers[f.node]!.name }));
  sockets.push(...followerLogs);
  // Authors listen on the node that is never killed, so that their fanout:done count is checked for every job.
  const authors = [...crowd.large, ...crowd.small];
  const authorLogs = await openSocketLogs(authors, () => ({ url: stack.servers[1].url, node: stack.servers[1].name }));
  sockets.push(...authorLogs);
  return { crowd, authors, followers: new Map(crowd.followers.map((f) => [f.id, f])), followerLogs, authorLogs };
}

/** Phase 3: posting on schedule for the whole run while faults are injected; resolves when both are over. */
export async function postWithFaults(
  ctx: SoakContext,
  plan: ReturnType<typeof planPosting>,
  crowd: Awaited<ReturnType<typeof setUpSoakCrowd>>,
  now: () => number,
  samplers: Samplers,
) {
  const { options, log, signal, stack, poster } = ctx;
  const postingMs = options.minutes * 60_000;
  const schedule = planFaults(postingMs);
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
    claimIdleMs: readWorkerConfig({}).claimIdleMs,
    onFault: (f) => log(`  ${seconds(f.startedAtMs)} ${f.kind}: ${f.error ? `FAILED: ${f.error}` : f.detail}`),
  });
  const progress = setInterval(() => {
    const c = poster.counts();
    const b = samplers.latest();
    log(
      `  ${seconds(now())}/${seconds(postingMs)} sent ${c.sent} accepted ${c.accepted} retrying ${c.sending} backlog ${b?.backlog ?? '?'} pending ${b?.pending ?? '?'}`,
    );
  }, PROGRESS_EVERY_MS);
  try {
    await Promise.all(loops.map((loop) => loop.finished));
    const postingSeconds = now() / 1000;
    // A fault that ran late (a slow restart) finishes before the drain is judged.
    return { postingSeconds, faultRecords: await faults };
  } finally {
    clearInterval(progress);
  }
}

/** Phase 4: every answer in, the backlog drained (resending what was refused for good once), the ledger of what was accepted. */
export async function drainAll({ options, log, signal, redis, poster }: SoakContext) {
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
  log(drain.drained ? `drained in ${seconds(drain.waitedMs)}` : `NOT drained after ${seconds(drain.waitedMs)}: ${drain.jobsNotDone} jobs not done`);
  return { drain, ledger: buildLedger(poster.records) };
}
