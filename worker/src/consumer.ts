import { setTimeout as delay } from 'node:timers/promises';
import { isRedisUnavailable, keysOf, type Logger, type ProcessWork, type RedisClient } from '@ripple/shared/node';
import { createClaimer } from './claim.js';
import type { WorkerConfig } from './config.js';
import { consumerGroupOn } from './consumer-group.js';
import { createHeartbeat } from './heartbeat.js';
import { allLanesOf, createLaneReader, type HeldEntry } from './lanes.js';
import { publishDueTweets } from './publish-scheduled.js';
import { promoteDueRetries } from './retries.js';
import { handBack, runEntry } from './run-entry.js';
import { everyMs, HAND_BACK_WAIT_MS, PROMOTE_INTERVAL_MS, TIDY_INTERVAL_MS, workerTiming } from './timing.js';

export interface ConsumerDeps {
  /** Connection for the blocking XREADGROUP (single Redis); nothing else may use it. */
  reader: RedisClient;
  /** Connection for everything else. */
  redis: RedisClient;
  config: WorkerConfig;
  log: Logger;
}

export interface FanoutConsumer {
  /** Stops reading, hands back the chunk in progress, and resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the loop ends. */
  readonly finished: Promise<void>;
  /** What it has run so far: published with the worker's CPU time for the dashboard's activity. */
  work(): ProcessWork;
}

/**
 * The worker's loop: find work (due retries back on the lanes, entries stalled in dead or slow
 * workers' hands, new entries), run each entry to its ack, and again. The steps are units of
 * their own: heartbeat.ts (liveness), claim.ts (takeovers), lanes.ts (what to read next),
 * run-entry.ts (one entry from check to ack), timing.ts (every interval, from the claim time).
 *
 * While Redis is unreachable the entries in hand are kept and run again once it is back; that is
 * an outage, not a failure of their chunks. Right after one, nothing is claimed until the other
 * workers have had time to come back and beat (see NO_CLAIMS_AFTER_OUTAGE_MS).
 */
export function startConsumer({ reader, redis, config, log }: ConsumerDeps): FanoutConsumer {
  const timing = workerTiming(config.claimIdleMs);
  const lanes = allLanesOf(redis);
  const heartbeat = createHeartbeat(redis, config.consumerName, timing);
  const group = consumerGroupOn(redis, lanes, heartbeat);
  const claimer = createClaimer({ redis, heartbeat, lanes, consumerName: config.consumerName, timing, log });
  const laneReader = createLaneReader({ redis, reader, consumerName: config.consumerName, blockMs: timing.blockMs, pollMs: config.pollMs });
  const tidy = everyMs(TIDY_INTERVAL_MS);
  const promote = everyMs(PROMOTE_INTERVAL_MS);
  let stopping = false;
  let inHand: HeldEntry[] = [];
  const work: ProcessWork = { entries: 0, deliveries: 0 };
  const pause = interruptibleDelay();

  // The first connection is made before the consumer starts, so every `ready` ends an outage.
  const onReconnect = () => {
    claimer.pauseAfterOutage();
    // Back to the entries in hand at once, to beat and claim them again before anyone judges.
    pause.interrupt();
  };
  redis.on('ready', onReconnect);

  /**
   * What to run next: a stalled entry if one is due for takeover, else new entries. Due retries
   * and due scheduled tweets are moved onto the lanes first.
   */
  async function findWork(): Promise<HeldEntry[]> {
    await group.ensure();
    await heartbeat.beat();
    if (tidy.due()) await group.forgetDeadConsumers();
    if (promote.due()) {
      for (const bucket of keysOf(redis).layout.all) {
        await promoteDueRetries(redis, bucket);
        await publishDueTweets(redis, bucket, config.timelineMax);
      }
    }
    const claimed = await claimer.takeStalled();
    return claimed.length > 0 ? claimed : laneReader.takeNew();
  }

  /**
   * Runs the entries in hand to their ack, a batch at a time (see nextBatch). An entry that ran
   * leaves the hand, whatever became of its chunks; one cut off by an outage stays, to run again
   * once Redis is back; after any other error it is let go (still pending), so the claim path
   * counts attempts and ends in dead letters if need be. The first error is thrown once the whole
   * batch has settled: no entry may still be running while the loop backs off or stops.
   */
  async function runInHand(): Promise<void> {
    while (inHand.length > 0) {
      const batch = nextBatch(inHand);
      // Also after an outage, before going back to the entries in hand: a stale heartbeat
      // would let another worker count them as an attempt.
      await heartbeat.beat();
      const runs = await Promise.allSettled(batch.map((held) => runEntry(held, { redis, config, timing, heartbeat, log, stopping: () => stopping })));
      const kept: HeldEntry[] = [];
      const errors: unknown[] = [];
      runs.forEach((run, i) => {
        const held = batch[i]!;
        if (run.status === 'fulfilled') {
          work.entries++;
          work.deliveries += run.value;
          return laneReader.weigh(held, run.value);
        }
        errors.push(run.reason);
        if (isRedisUnavailable(run.reason)) kept.push(held);
      });
      inHand = [...kept, ...inHand.slice(batch.length)];
      if (errors.length > 0) throw errors.find((err) => !isRedisUnavailable(err)) ?? errors[0];
    }
  }

  async function consumeUntilStopped(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        if (inHand.length === 0) inHand = await findWork();
        await runInHand();
        failures = 0;
      } catch (err) {
        failures++;
        // A Redis that restarted without its data has lost the group too; make it again.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) group.lost();
        const wait = Math.min(100 * 2 ** Math.min(failures, 5), 3000) * (0.5 + Math.random() / 2);
        if (isRedisUnavailable(err)) log.warn({ err: String(err), wait }, 'redis unavailable; retrying');
        else log.error({ err }, 'fan-out loop failed; retrying');
        await pause.for(wait);
      }
    }
    await handBackInHand();
  }

  /**
   * Stopped while entries were in hand (during an outage): hands them back once Redis is back,
   * so they need not wait to be claimed, which would also count an attempt against them.
   * Entries not handed back within HAND_BACK_WAIT_MS stay pending and are claimed later.
   */
  async function handBackInHand(): Promise<void> {
    const giveUpAt = Date.now() + HAND_BACK_WAIT_MS;
    for (const held of inHand) {
      for (;;) {
        try {
          await handBack(held, redis);
          break;
        } catch (err) {
          if (!isRedisUnavailable(err) || Date.now() >= giveUpAt) {
            log.warn({ entryId: held.id, err: String(err) }, 'could not hand back an entry; it stays pending until claimed');
            break;
          }
          await delay(100);
        }
      }
    }
  }

  const finished = consumeUntilStopped().finally(() => {
    redis.off('ready', onReconnect);
    return heartbeat.leave().catch(() => {});
  });
  return {
    finished,
    work: () => ({ ...work }),
    async stop() {
      stopping = true;
      await finished;
    },
  };
}

/** A delay that `interrupt` ends early: the loop's back-off, cut short when Redis comes back. */
function interruptibleDelay(): { for(ms: number): Promise<void>; interrupt(): void } {
  let wake: (() => void) | undefined;
  return {
    for(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => wake?.(), ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    },
    interrupt: () => wake?.(),
  };
}

/**
 * The entries to run side by side next: every small entry at the front of the hand, or the bulk
 * chunk there alone. Small entries are a page or a few each: side by side, the same step of all
 * of them (read the tweet, deliver a page, report, ack) goes to Redis in one write, since
 * node-redis sends every command issued in one tick together, and Redis reads and answers them
 * in one go, where one after another each cost its own write and read on both ends. A bulk chunk
 * is pages enough to fill those writes by itself, and is the one chunk a small tweet may wait for.
 */
function nextBatch(inHand: readonly HeldEntry[]): HeldEntry[] {
  const smallAhead = inHand.findIndex((held) => held.from.lane !== 'small');
  if (smallAhead === 0) return inHand.slice(0, 1);
  return smallAhead === -1 ? [...inHand] : inHand.slice(0, smallAhead);
}
