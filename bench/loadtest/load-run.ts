import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fanoutDoneSchema, fanoutFailedSchema, timelineNewSchema } from '@ripple/shared';
import { mapWithLimit, setUpCrowd, type Crowd, type Member } from './crowd.js';
import { DeliveryTracker, MEASURES, type MeasureName } from './delivery-tracker.js';
import type { SpectrumPoint } from './latency.js';
import { connectSocket, type RippleSocket } from './live-sockets.js';
import { startOpenLoop, systemClock, type Arrival, type Clock, type OpenLoop } from './open-loop.js';
import type { LoadTestOptions } from './options.js';
import { formatProgress, type ProgressLine } from './progress-line.js';
import { judgeOrdinaryUnderAttack, type AttackReport, type CelebrityReport, type LoadTestReport, type ReportSpectra } from './report.js';
import { RippleHttpError, RippleNetworkError, type RefusalStatus, type RippleClient } from './ripple-client.js';
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

/** Sockets opened at once while connecting the crowd. */
const CONNECT_CONCURRENCY = 16;
/** How often the progress line is redrawn. */
const PROGRESS_EVERY_MS = 250;
/**
 * After the last `fanout:done`, how long to keep waiting for `timeline:new` events still on
 * their way: each is relayed separately and may trail the job's end by a moment.
 */
const DELIVERY_GRACE_MS = 2000;

/** One group of authors whose measures are kept together: the crowd, the celebrity, or the attackers. */
interface PostingGroup {
  tracker: DeliveryTracker;
  authors: Member[];
  /** Names the group in Idempotency-Keys and tweet texts. */
  name: 'crowd' | 'celebrity' | 'attacker';
  /** Aborting it gives up on every tweet of the group still being posted. */
  stop: AbortSignal;
  /** Why a tweet was given up on when `stop` aborted, for the notes. */
  stoppedBecause: () => string;
  /** Starts the group's lines of notes. */
  notePrefix: string;
}

/** Why a tweet was given up on, in a few words, for the notes. */
function failureReason(error: unknown, group: PostingGroup): string {
  if (error instanceof RippleHttpError) return `${error.status} ${error.code}`;
  if (error instanceof RippleNetworkError) return `no answer (${error.message.replace(/^\/api\/tweets: /, '')})`;
  if (error instanceof Error && error.name === 'AbortError') return group.stoppedBecause();
  return error instanceof Error ? error.message : String(error);
}

const countInto = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

function spectraOf(tracker: DeliveryTracker): Record<MeasureName, SpectrumPoint[]> {
  return Object.fromEntries(MEASURES.map(({ name }) => [name, tracker.measures[name].spectrum()])) as Record<MeasureName, SpectrumPoint[]>;
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
  const connect = deps.connect ?? connectSocket;
  const startedAt = new Date();

  await client.health();

  progress.log(
    `setting up: ${options.authors} authors × ${options.followers} followers, ${options.online} online` +
      (options.celebrityFollowers > 0 ? `, a celebrity with ${options.celebrityFollowers} followers` : '') +
      (options.attackers > 0 ? `, ${options.attackers} attacker(s) with ${options.attackerFollowers} followers each` : '') +
      ` at ${client.baseUrl}`,
  );
  const crowd: Crowd = await setUpCrowd(client, {
    authors: options.authors,
    followers: options.followers,
    online: options.online,
    celebrityFollowers: options.celebrityFollowers,
    attackers: options.attackers,
    attackerFollowers: options.attackerFollowers,
  }).catch((error: unknown) => {
    throw new Error(`setting up the crowd failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });

  const giveUp = new AbortController();
  // The attack lasts as long as the posting phase: an attacker still retrying afterwards would
  // only hold the drain up, and no ordinary tweet is posted then to be crowded out.
  const attackOver = new AbortController();
  // Every tweet waiting out a Retry-After listens on one of these signals: thousands at a time
  // is the design, not a leak.
  setMaxListeners(0, giveUp.signal, attackOver.signal);
  let drainTimedOut = false;
  const stoppedByDrain = () => (drainTimedOut ? 'still retrying when the drain timed out' : 'interrupted');

  const main: PostingGroup = {
    tracker: new DeliveryTracker(),
    authors: crowd.authors,
    name: 'crowd',
    stop: giveUp.signal,
    stoppedBecause: stoppedByDrain,
    notePrefix: '',
  };
  const celebrity: PostingGroup | null = crowd.celebrity
    ? { tracker: new DeliveryTracker(), authors: [crowd.celebrity], name: 'celebrity', stop: giveUp.signal, stoppedBecause: stoppedByDrain, notePrefix: 'celebrity: ' }
    : null;
  const attack: PostingGroup | null = crowd.attackers.length > 0
    ? {
        tracker: new DeliveryTracker(),
        authors: crowd.attackers,
        name: 'attacker',
        stop: attackOver.signal,
        stoppedBecause: () => (deps.interrupt?.aborted ? 'interrupted' : 'still retrying when the attack ended'),
        notePrefix: 'attackers: ',
      }
    : null;
  const groups = [main, ...(celebrity ? [celebrity] : []), ...(attack ? [attack] : [])];
  const groupOfAuthor = new Map<string, PostingGroup>();
  for (const group of groups) for (const author of group.authors) groupOfAuthor.set(author.id, group);

  const sockets: RippleSocket[] = [];
  let disconnects = 0;
  let phase: 'setup' | 'posting' | 'draining' = 'setup';

  /** Wires one member's socket to the trackers: authors hear about their jobs, followers about tweets. */
  function listen(member: Member, socket: RippleSocket): void {
    const authorGroup = groupOfAuthor.get(member.id);
    if (authorGroup) {
      socket.on('fanout:done', (payload) => {
        const at = clock.now();
        const done = fanoutDoneSchema.safeParse(payload);
        if (done.success) authorGroup.tracker.fanoutDone(done.data.tweetId, at);
      });
      socket.on('fanout:failed', (payload) => {
        const failed = fanoutFailedSchema.safeParse(payload);
        if (failed.success) authorGroup.tracker.fanoutFailed(failed.data.tweetId);
      });
    } else {
      socket.on('timeline:new', (payload) => {
        const at = clock.now();
        const parsed = timelineNewSchema.safeParse(payload);
        if (!parsed.success) return;
        const { tweet } = parsed.data;
        groupOfAuthor.get(tweet.author.id)?.tracker.timelineNew(tweet.id, member.id, at);
      });
    }
    socket.on('disconnect', () => {
      if (phase !== 'setup') disconnects += 1;
    });
  }

  const inFlight = new Set<Promise<void>>();
  /** Why tweets were given up on, per group: reason → count. */
  const failures = new Map<PostingGroup, Map<string, number>>(groups.map((group) => [group, new Map()]));
  let progressTimer: NodeJS.Timeout | undefined;
  const sampler = new ServerSampler(async (): Promise<ServerReading> => {
    const [health, deliveries] = await Promise.allSettled([client.health(), client.deliveriesTotal()]);
    return {
      backlog: health.status === 'fulfilled' ? health.value.backlog : null,
      deliveriesTotal: deliveries.status === 'fulfilled' ? deliveries.value : null,
    };
  }, clock);

  try {
    const members = [...groups.flatMap((group) => group.authors), ...crowd.online];
    progress.log(`connecting ${members.length} sockets…`);
    await mapWithLimit(members, CONNECT_CONCURRENCY, async (member) => {
      const socket = await connect(client.baseUrl, member.token);
      sockets.push(socket);
      listen(member, socket);
    }).catch((error: unknown) => {
      throw new Error(`connecting the crowd's sockets failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });

    /** Fires one tweet and lets it run its course; never awaited by the schedule. */
    function post(group: PostingGroup, arrival: Arrival): void {
      const author = group.authors[arrival.index % group.authors.length]!;
      const ticket = group.tracker.sending(arrival.intendedAt, crowd.audiences.get(author.id) ?? new Set());
      const attempt = client
        .postTweet(author.token, `load test ${crowd.runId}, ${group.name} tweet #${arrival.index}`, {
          // Unique per run, group and tweet, and the same for every try of this tweet.
          idempotencyKey: `lt${crowd.runId}-${group.name}-${arrival.index}`,
          maxTries: options.maxTries,
          signal: group.stop,
          onRefused: (error) => group.tracker.refusal(error.status),
        })
        .then(
          ({ tweet }) => group.tracker.accepted(ticket, tweet.id, clock.now()),
          (error: unknown) => {
            group.tracker.gaveUp(ticket);
            countInto(failures.get(group)!, failureReason(error, group));
          },
        )
        .finally(() => inFlight.delete(attempt));
      inFlight.add(attempt);
    }

    const total = () => {
      const sum = { sent: 0, accepted: 0, refused: 0, done: 0, failed: 0 };
      for (const g of groups) for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += g.tracker.counts[key];
      return sum;
    };

    const startAt = clock.now();
    let drainStartAt = 0;
    phase = 'posting';
    sampler.start(startAt);
    const loops: OpenLoop[] = [startOpenLoop({ rate: options.rate, durationS: options.durationS, clock, startAt, fire: (a) => post(main, a) })];
    if (celebrity) {
      // K posts spread evenly over the run from t = 0: one every duration / K seconds.
      const rate = options.celebrityPosts / options.durationS;
      loops.push(startOpenLoop({ rate, durationS: options.durationS, clock, startAt, fire: (a) => post(celebrity, a) }));
    }
    if (attack) {
      // One schedule for all attackers, round-robin: each posts at --attacker-rate.
      const rate = options.attackerRate * attack.authors.length;
      loops.push(startOpenLoop({ rate, durationS: options.durationS, clock, startAt, fire: (a) => post(attack, a) }));
    }
    const drawProgress = () => {
      const now = clock.now();
      const draining = phase === 'draining';
      progress.update(
        formatProgress({
          phase: draining ? 'draining' : 'posting',
          elapsedS: (now - (draining ? drainStartAt : startAt)) / 1000,
          phaseS: draining ? options.drainTimeoutS : options.durationS,
          ...total(),
          backlog: sampler.latestBacklog,
        }),
      );
    };
    progressTimer = setInterval(drawProgress, PROGRESS_EVERY_MS);
    const onInterrupt = () => loops.forEach((loop) => loop.stop());
    deps.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    if (deps.interrupt?.aborted) onInterrupt();
    await Promise.all(loops.map((loop) => loop.finished));
    attackOver.abort();

    // Drain: wait for every post to settle and every job to report, within the drain timeout.
    phase = 'draining';
    drainStartAt = clock.now();
    const deadline = drainStartAt + options.drainTimeoutS * 1000;
    let settledAt: number | null = null;
    while (!deps.interrupt?.aborted) {
      const now = clock.now();
      const settled = groups.every((g) => g.tracker.posting === 0 && g.tracker.running === 0);
      const awaiting = groups.reduce((n, g) => n + g.tracker.awaitingDeliveries, 0);
      settledAt = settled ? (settledAt ?? now) : null;
      if (settledAt !== null && (awaiting === 0 || now - settledAt >= DELIVERY_GRACE_MS)) break;
      if (now >= deadline) {
        drainTimedOut = true;
        break;
      }
      await delay(50);
    }
    giveUp.abort();
    await Promise.allSettled([...inFlight]);
    deps.interrupt?.removeEventListener('abort', onInterrupt);
    clearInterval(progressTimer);
    progressTimer = undefined;
    drawProgress();
    progress.end();
    await sampler.stop();

    const notes: string[] = [];
    if (deps.interrupt?.aborted) notes.push('interrupted: the run was stopped early; the numbers cover what happened until then');
    for (const g of groups) {
      const who = g.notePrefix;
      const unfinished = g.tracker.running;
      if (unfinished > 0) notes.push(`${who}${unfinished} accepted tweet(s) had no fanout:done when the drain ended (not in "complete")`);
      if (g.tracker.awaitingDeliveries > 0 && unfinished === 0) {
        notes.push(`${who}${g.tracker.awaitingDeliveries} timeline:new event(s) expected at online followers never arrived`);
      }
    }
    for (const [g, reasons] of failures) for (const [reason, count] of reasons) notes.push(`${g.notePrefix}failed: ${count} × ${reason}`);
    // The attackers' refusals are the attack being held off, reported under "attack"; the
    // advice below is about the others' own refusals.
    const refusedOthers = (status: RefusalStatus) => groups.filter((g) => g !== attack).reduce((n, g) => n + g.tracker.refusedByStatus[status], 0);
    const rateLimited = refusedOthers(429);
    if (rateLimited > 0) {
      const perAuthor = options.rate / options.authors;
      notes.push(
        `refused: ${rateLimited} × 429 rate_limited: each author posts ${perAuthor.toFixed(1)}/s and Ripple limits each user ` +
          '(RATE_LIMIT_TWEETS_PER_MIN, 600/min by default); use more --authors or raise the limit',
      );
    }
    if (refusedOthers(503) > 0) notes.push(`refused: ${refusedOthers(503)} × 503 (a backlog at FANOUT_MAX_BACKLOG, FANOUT_MAX_SMALL_BACKLOG or FANOUT_MAX_AUTHOR_BACKLOG, or Redis unavailable)`);
    if (disconnects > 0) notes.push(`${disconnects} socket disconnect(s) during the run: events may have been missed`);

    const summaries = main.tracker.summaries();
    let celebrityReport: CelebrityReport | undefined;
    if (celebrity) {
      celebrityReport = {
        followers: options.celebrityFollowers,
        posts: options.celebrityPosts,
        ...celebrity.tracker.summaries(),
        refused: celebrity.tracker.counts.refused,
        failed: celebrity.tracker.counts.failed,
      };
    }
    let attackReport: AttackReport | undefined;
    if (attack) {
      const { sent, accepted, refused, failed } = attack.tracker.counts;
      const attackerSummaries = attack.tracker.summaries();
      attackReport = {
        attackers: options.attackers,
        followers: options.attackerFollowers,
        rate: options.attackerRate,
        ordinary: judgeOrdinaryUnderAttack({ refusedByStatus: main.tracker.refusedByStatus, failed: main.tracker.counts.failed, onlineDelivery: summaries.onlineDelivery }),
        attackerTweets: {
          sent,
          accepted,
          refused,
          refusedByStatus: { ...attack.tracker.refusedByStatus },
          failed,
          accept: attackerSummaries.accept,
          complete: attackerSummaries.complete,
        },
      };
    }
    const report: LoadTestReport = {
      config: {
        url: client.baseUrl,
        authors: options.authors,
        followers: options.followers,
        online: options.online,
        rate: options.rate,
        durationS: options.durationS,
        drainTimeoutS: options.drainTimeoutS,
        celebrityFollowers: options.celebrityFollowers,
        celebrityPosts: options.celebrityPosts,
        attackers: options.attackers,
        attackerFollowers: options.attackerFollowers,
        attackerRate: options.attackerRate,
        maxTries: options.maxTries,
        runId: crowd.runId,
        startedAt: startedAt.toISOString(),
      },
      accept: summaries.accept,
      firstDelivery: summaries.firstDelivery,
      onlineDelivery: summaries.onlineDelivery,
      complete: summaries.complete,
      deliveriesPerSecond: sampler.overallDeliveriesPerSecond() ?? 0,
      refused: main.tracker.counts.refused,
      refusedByStatus: { ...main.tracker.refusedByStatus },
      failed: main.tracker.counts.failed,
      series: sampler.series(),
      ...(celebrityReport ? { celebrity: celebrityReport } : {}),
      ...(attackReport ? { attack: attackReport } : {}),
    };
    return {
      report,
      spectra: { main: spectraOf(main.tracker), ...(celebrity ? { celebrity: spectraOf(celebrity.tracker) } : {}) },
      notes,
    };
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    giveUp.abort();
    attackOver.abort();
    sampler.halt();
    for (const socket of sockets) socket.disconnect();
  }
}
