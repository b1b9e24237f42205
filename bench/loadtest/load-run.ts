import { setMaxListeners } from 'node:events';
import { cpuCost, parseCpuReading, type CpuReading } from './cpu-cost.js';
import { setUpCrowd, type Crowd } from './crowd.js';
import { CrowdSockets } from './crowd-sockets.js';
import { drain } from './drain.js';
import { connectSocket, type RippleSocket } from './live-sockets.js';
import { startOpenLoop, systemClock, type Clock, type OpenLoop } from './open-loop.js';
import type { LoadTestOptions } from './options.js';
import { formPostingGroups, tweetPoster, type PostingGroups, type TweetPoster } from './posting-groups.js';
import { formatProgress, type ProgressLine } from './progress-line.js';
import type { LoadTestReport, ReportSpectra } from './report.js';
import type { RippleClient } from './ripple-client.js';
import { runNotes } from './run-notes.js';
import { assembleReport } from './run-report.js';
import { ServerSampler, type ServerReading } from './server-sampler.js';

export interface LoadRunDeps {
  client: RippleClient;
  progress: ProgressLine;
  /** @defaultValue {@link systemClock} */
  clock?: Clock;
  /** Aborting it (Ctrl-C) stops posting at once and goes straight to the report. */
  interrupt?: AbortSignal;
  /** @defaultValue {@link connectSocket} */
  connect?: (url: string, token: string) => Promise<RippleSocket>;
}

export interface LoadRunResult {
  report: LoadTestReport;
  spectra: ReportSpectra;
  /** Things a reader of the table should know: unfinished jobs, why tweets failed, hints. */
  notes: string[];
}

/** How often the progress line is redrawn. */
const PROGRESS_EVERY_MS = 250;

/** Signs up the run's users through the public API, after checking Ripple answers at all. */
async function setUpRun(options: LoadTestOptions, { client, progress }: LoadRunDeps): Promise<Crowd> {
  await client.health();
  progress.log(
    `setting up: ${options.authors} authors × ${options.followers} followers, ${options.online} online` +
      (options.celebrityFollowers > 0 ? `, a celebrity with ${options.celebrityFollowers} followers` : '') +
      (options.attackers > 0 ? `, ${options.attackers} attacker(s) with ${options.attackerFollowers} followers each` : '') +
      ` at ${client.baseUrl}`,
  );
  return setUpCrowd(client, {
    authors: options.authors,
    followers: options.followers,
    online: options.online,
    celebrityFollowers: options.celebrityFollowers,
    attackers: options.attackers,
    attackerFollowers: options.attackerFollowers,
  }).catch((error: unknown) => {
    throw new Error(`setting up the crowd failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
}

/** One open-loop schedule per group, all from `startAt`, each firing `poster.post` for its group. */
function startPostingLoops(groups: PostingGroups, poster: TweetPoster, options: LoadTestOptions, clock: Clock, startAt: number): OpenLoop[] {
  const { main, celebrity, attack } = groups;
  const loops = [startOpenLoop({ rate: options.rate, durationS: options.durationS, clock, startAt, fire: (a) => poster.post(main, a) })];
  if (celebrity) {
    // K posts spread evenly over the run from t = 0: one every duration / K seconds.
    const rate = options.celebrityPosts / options.durationS;
    loops.push(startOpenLoop({ rate, durationS: options.durationS, clock, startAt, fire: (a) => poster.post(celebrity, a) }));
  }
  if (attack) {
    // One schedule for all attackers, round-robin: each posts at --attacker-rate.
    const rate = options.attackerRate * attack.authors.length;
    loops.push(startOpenLoop({ rate, durationS: options.durationS, clock, startAt, fire: (a) => poster.post(attack, a) }));
  }
  return loops;
}

/** Polls /healthz and /metrics through the run for the backlog and the delivery rate. */
function serverSamplerFor(client: RippleClient, clock: Clock): ServerSampler {
  return new ServerSampler(async (): Promise<ServerReading> => {
    const [health, deliveries] = await Promise.allSettled([client.health(), client.deliveriesTotal()]);
    return {
      backlog: health.status === 'fulfilled' ? health.value.backlog : null,
      deliveriesTotal: deliveries.status === 'fulfilled' ? deliveries.value : null,
    };
  }, clock);
}

/** CPU of every part of the stack now, or null when /metrics does not say (or does not answer). */
async function readCpu(client: RippleClient, clock: Clock): Promise<CpuReading | null> {
  const text = await client.metrics().catch(() => null);
  const { user, system } = process.cpuUsage();
  return text === null ? null : parseCpuReading(text, (user + system) / 1e6, clock.now());
}

/** Redraws the progress line of the posting phase or of the drain, whichever is under way. */
function progressDrawer(groups: PostingGroups, sampler: ServerSampler, options: LoadTestOptions, progress: ProgressLine, clock: Clock) {
  const phase = { draining: false, startAt: 0, drainStartAt: 0 };
  const total = () => {
    const sum = { sent: 0, accepted: 0, refused: 0, done: 0, failed: 0 };
    for (const g of groups.all) for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += g.tracker.counts[key];
    return sum;
  };
  const draw = () => {
    const now = clock.now();
    progress.update(
      formatProgress({
        phase: phase.draining ? 'draining' : 'posting',
        elapsedS: (now - (phase.draining ? phase.drainStartAt : phase.startAt)) / 1000,
        phaseS: phase.draining ? options.drainTimeoutS : options.durationS,
        ...total(),
        backlog: sampler.latestBacklog,
      }),
    );
  };
  return { phase, draw };
}

/**
 * One whole load test against a running Ripple: set up the crowd, connect its sockets, post on
 * the open-loop schedule while sampling the server, drain, and assemble the report. Throws
 * (RippleUnreachableError first of all) when Ripple cannot be driven; closes every socket it
 * opened either way.
 */
export async function runLoadTest(options: LoadTestOptions, deps: LoadRunDeps): Promise<LoadRunResult> {
  const { client, progress } = deps;
  const clock = deps.clock ?? systemClock;
  const startedAt = new Date();
  const crowd = await setUpRun(options, deps);

  const giveUp = new AbortController();
  // The attack lasts as long as the posting phase: an attacker still retrying afterwards would
  // only hold the drain up, and no ordinary tweet is posted then to be crowded out.
  const attackOver = new AbortController();
  // Every tweet waiting out a Retry-After listens on one of these signals: thousands at a time
  // is the design, not a leak.
  setMaxListeners(0, giveUp.signal, attackOver.signal);
  let drainTimedOut = false;
  const groups = formPostingGroups(crowd, {
    giveUp: giveUp.signal,
    attackOver: attackOver.signal,
    stoppedByDrain: () => (drainTimedOut ? 'still retrying when the drain timed out' : 'interrupted'),
    interrupted: () => deps.interrupt?.aborted === true,
  });

  let posting = false;
  const sockets = new CrowdSockets({
    baseUrl: client.baseUrl,
    connect: deps.connect ?? connectSocket,
    clock,
    groupOfAuthor: groups.groupOfAuthor,
    countsDisconnects: () => posting,
  });
  const poster = tweetPoster({ client, crowd, groups: groups.all, maxTries: options.maxTries, clock });
  const sampler = serverSamplerFor(client, clock);
  const progressLine = progressDrawer(groups, sampler, options, progress, clock);
  let progressTimer: NodeJS.Timeout | undefined;

  try {
    const members = [...groups.all.flatMap((group) => group.authors), ...crowd.online];
    progress.log(`connecting ${members.length} sockets…`);
    await sockets.connectAll(members);

    const cpuAtStart = await readCpu(client, clock);
    const startAt = clock.now();
    progressLine.phase.startAt = startAt;
    posting = true;
    sampler.start(startAt);
    const loops = startPostingLoops(groups, poster, options, clock, startAt);
    progressTimer = setInterval(progressLine.draw, PROGRESS_EVERY_MS);
    const onInterrupt = () => loops.forEach((loop) => loop.stop());
    deps.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    if (deps.interrupt?.aborted) onInterrupt();
    await Promise.all(loops.map((loop) => loop.finished));
    attackOver.abort();
    const cpuAtEnd = await readCpu(client, clock);
    const acceptedWhilePosting = groups.all.reduce((sum, group) => sum + group.tracker.counts.accepted, 0);
    const cpu = cpuAtStart && cpuAtEnd ? cpuCost(cpuAtStart, cpuAtEnd, acceptedWhilePosting) : undefined;

    // Drain: wait for every post to settle and every job to report, within the drain timeout.
    progressLine.phase.draining = true;
    progressLine.phase.drainStartAt = clock.now();
    ({ timedOut: drainTimedOut } = await drain(groups.all, progressLine.phase.drainStartAt + options.drainTimeoutS * 1000, clock, deps.interrupt));
    giveUp.abort();
    await Promise.allSettled([...poster.inFlight]);
    deps.interrupt?.removeEventListener('abort', onInterrupt);
    clearInterval(progressTimer);
    progressTimer = undefined;
    progressLine.draw();
    progress.end();
    await sampler.stop();

    const notes = runNotes(groups, { interrupted: deps.interrupt?.aborted === true, failures: poster.failures, disconnects: sockets.disconnects }, options);
    return { ...assembleReport(groups, sampler, options, { url: client.baseUrl, runId: crowd.runId, startedAt, cpu }), notes };
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    giveUp.abort();
    attackOver.abort();
    sampler.halt();
    sockets.disconnectAll();
  }
}
