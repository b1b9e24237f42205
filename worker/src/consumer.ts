import { setTimeout as delay } from 'node:timers/promises';
import { fanoutEntrySchema, keys, WORKER_ALIVE_MS, type FanoutEntry } from '@ripple/shared';
import { isRedisUnavailable, keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import type { WorkerConfig } from './config.js';
import { fanOutEntry, reportDeliveredSoFar } from './fan-out.js';
import { claimStalledEntry, giveUpChunk, laneStream, promoteDueRetries, retryDelayMs, scheduleRetry, type Lane, type LaneRef } from './retries.js';

interface StreamEntry {
  id: string;
  message: Record<string, string>;
}

/** An entry this worker holds, and the lane it came from. */
interface HeldEntry extends StreamEntry {
  from: LaneRef;
}

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
}

const group = keys.fanoutGroup;
const LANES: readonly Lane[] = ['small', 'bulk'];
/** Due retries are looked for at most this often. */
const PROMOTE_INTERVAL_MS = 250;
/**
 * How often a worker records that it is alive (for the dashboard and for claim decisions): at
 * least four times per claim time, so that by the time a dead worker's entry can be claimed
 * its heartbeat is at least two intervals old and it is judged dead.
 */
const heartbeatIntervalMs = (claimIdleMs: number) => Math.min(1000, claimIdleMs / 4);
/**
 * What running any entry costs beyond its deliveries (reading it, its report, its ack: a few
 * round trips, about what 100 deliveries take), counted so that a flood of one-follower tweets
 * weighs what it costs the worker, not just what it delivers.
 */
const ENTRY_COST_IN_DELIVERIES = 100;
/** Small entries read at once. */
const SMALL_BATCH = 4;
/**
 * How long a worker that was stopped during an outage waits for Redis to come back so it can
 * hand back the entries it holds. Longer than the loop's longest back-off and the client's
 * longest reconnect delay, so a short outage is ridden out; short enough that, after the loop's
 * last back-off (3 s at most), the process still exits within its 8 s grace (main.ts).
 */
const HAND_BACK_WAIT_MS = 4000;
/**
 * After its connection comes back from an outage, a worker claims nothing for this long. Nobody
 * could beat while Redis was away, so every heartbeat looks stale and every entry in hand looks
 * stalled; the other workers need up to one reconnect delay (about 2 s, see createRedisClient)
 * to come back, beat and claim their own entries again. Judging them before that would count an
 * attempt against live workers, and an outage must cost no attempt.
 */
const NO_CLAIMS_AFTER_OUTAGE_MS = 3000;

const attemptOf = (message: Record<string, string>): number => {
  const attempt = Number(message.attempt);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
};

/**
 * The worker's loop: read fan-out entries through the consumer group, deliver them, ack them.
 *
 * - Entries pending longer than `claimIdleMs` are claimed. If their worker is dead (no recent
 *   heartbeat), that was an attempt: the entry goes back on its lane with the attempt counted,
 *   so a chunk that kills every worker ends in dead letters. If their worker is alive but
 *   stalled, the chunk runs alongside it (each page is safe to race) and costs no attempt.
 * - A chunk that fails is retried with backoff (through the retry schedule, so other work
 *   flows meanwhile) until `maxAttempts`, then dead-lettered and its job failed.
 * - While Redis is unreachable the entry in hand is kept and retried until Redis is back;
 *   that is an outage, not a failure of the chunk. Right after one, nothing is claimed until
 *   the other workers have had time to come back and beat (see NO_CLAIMS_AFTER_OUTAGE_MS).
 */
export function startConsumer(deps: ConsumerDeps): FanoutConsumer {
  const { reader, redis, config, log } = deps;
  const k = keysOf(redis);
  const { buckets } = k.layout;
  /** Every lane of every bucket, small lanes first. */
  const allLanes: LaneRef[] = LANES.flatMap((lane) => k.layout.all.map((bucket) => ({ bucket, lane })));
  /** Where the next look for new work starts, so that no bucket is always served last. */
  let nextBucket = 0;
  let stopping = false;
  let groupReady = false;
  /**
   * The lanes' shares, in deliveries (deficit round robin): what the small entries run since
   * the last bulk chunk weigh, and what that chunk weighed (ENTRY_COST_IN_DELIVERIES at least).
   * See readNew.
   */
  const share = { smallEntries: 0, smallDelivered: 0, lastBulkDelivered: 0 };
  let lastAlive = 0;
  const heartbeatMs = heartbeatIntervalMs(config.claimIdleMs);
  /** A worker that missed two heartbeats is taken for dead when its entries are claimed. */
  const aliveWindowMs = 2 * heartbeatMs;
  let noClaimsUntil = 0;
  /** Ends the loop's back-off early; set while it backs off. */
  let wake: (() => void) | undefined;
  // The first connection is made before the consumer starts, so every `ready` ends an outage.
  const onReconnect = () => {
    noClaimsUntil = Date.now() + NO_CLAIMS_AFTER_OUTAGE_MS;
    // Back to the entries in hand at once, to beat and claim them again before anyone judges.
    wake?.();
  };
  redis.on('ready', onReconnect);

  async function ensureGroup(): Promise<void> {
    if (groupReady) return;
    for (const ref of allLanes) {
      try {
        // From the start of the stream: entries added before any worker ever ran are work too.
        await redis.xGroupCreate(laneStream(redis, ref), group, '0', { MKSTREAM: true });
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
      }
    }
    groupReady = true;
  }

  async function markAlive(): Promise<void> {
    if (Date.now() - lastAlive < heartbeatMs) return;
    lastAlive = Date.now();
    await redis.zAdd(keys.workers, { score: lastAlive, value: config.consumerName });
  }

  /**
   * Forgets consumers of dead workers once they hold nothing: every worker start is a new
   * consumer name, and the group would otherwise grow forever.
   */
  async function forgetDeadConsumers(): Promise<void> {
    const now = Date.now();
    await redis.zRemRangeByScore(keys.workers, '-inf', now - 60_000);
    const alive = new Set(await redis.zRangeByScore(keys.workers, now - WORKER_ALIVE_MS, '+inf'));
    for (const ref of allLanes) {
      const stream = laneStream(redis, ref);
      for (const consumer of await redis.xInfoConsumers(stream, group)) {
        if (!alive.has(consumer.name) && consumer.pending === 0 && consumer.idle > 60_000) {
          await redis.xGroupDelConsumer(stream, group, consumer.name);
        }
      }
    }
  }

  /**
   * Takes over one entry left pending too long, small lane first (see the loop's description).
   * Returns what to run now (nothing when the entry was requeued) and whether anything was taken.
   */
  async function claimStalled(): Promise<{ took: boolean; entries: HeldEntry[] }> {
    const alive = await redis.zRangeByScore(keys.workers, Date.now() - aliveWindowMs, '+inf');
    for (const from of allLanes) {
      const claim = await claimStalledEntry(redis, from, config.consumerName, config.claimIdleMs, alive);
      if (claim.outcome === 'alive') return { took: true, entries: [{ id: claim.id, message: claim.message, from }] };
      if (claim.outcome === 'requeued') {
        log.warn({ entryId: claim.id, ...from, attempt: claim.attempt }, 'took over the chunk of a dead worker');
        return { took: true, entries: [] };
      }
    }
    return { took: false, entries: [] };
  }

  /**
   * Which lanes hold any entry, read or not. On a cluster, a look at every lane's length, sent to
   * all masters at once, costs one round trip where reading each of the 32 lanes in turn would
   * cost 32 between two chunks; a lane whose entries are all in other workers' hands still
   * answers yes, and its read then finds nothing. A single Redis has two lanes: it just reads.
   */
  async function lanesHoldingEntries(): Promise<(from: LaneRef) => boolean> {
    if (buckets === 1) return () => true;
    const lengths = await Promise.all(allLanes.map((from) => redis.xLen(laneStream(redis, from))));
    const holding = new Set(allLanes.filter((_, i) => lengths[i]! > 0).map((from) => `${from.lane}:${from.bucket}`));
    return (from) => holding.has(`${from.lane}:${from.bucket}`);
  }

  async function readSome(from: LaneRef, count: number): Promise<HeldEntry[]> {
    const reply = await redis.xReadGroup(group, config.consumerName, { key: laneStream(redis, from), id: '>' }, { COUNT: count });
    return ((reply as { messages: StreamEntry[] }[] | null)?.[0]?.messages ?? []).map((m) => ({ ...m, from }));
  }

  /**
   * Small lanes first (a small tweet then waits for at most the one chunk a worker is already
   * writing), a few small entries at a time to spread the per-read cost; but once the small
   * entries run since the last bulk chunk have delivered as much as that chunk did, a waiting
   * bulk chunk goes first. Weighed in deliveries, not entries, the two lanes split a worker
   * evenly when both are full: a flood of small tweets cannot starve a celebrity's fan-out, and
   * an attacker's fan-outs cannot take more than half of any worker (counted in entries, one
   * 10 000-follower chunk per 8 small tweets of 100 gave bulk work 90 % of it). Buckets are looked
   * at in turn from a rotating start. When every lane is empty, a single Redis waits on both of
   * its lanes at once; a cluster, whose buckets cannot be waited on together, looks again after
   * `pollMs`. An entry waiting in hand behind another is safe: should this worker stall,
   * another may run it, which costs no attempt while this worker is alive.
   */
  async function readNew(): Promise<HeldEntry[]> {
    const bulkFirst = share.smallEntries > 0 && share.smallDelivered >= share.lastBulkDelivered;
    const order: readonly Lane[] = bulkFirst ? ['bulk', 'small'] : LANES;
    const start = nextBucket;
    nextBucket = (nextBucket + 1) % buckets;
    const holdsEntries = await lanesHoldingEntries();
    for (const lane of order) {
      const wanted = lane === 'small' ? SMALL_BATCH : 1;
      const found: HeldEntry[] = [];
      for (let i = 0; i < buckets && found.length < wanted; i++) {
        const from = { bucket: (start + i) % buckets, lane };
        if (holdsEntries(from)) found.push(...(await readSome(from, wanted - found.length)));
      }
      if (found.length > 0) return found;
    }
    if (buckets > 1) {
      await delay(config.pollMs);
      return [];
    }
    const lanes = k.fanoutLanes(0);
    const reply = await reader.xReadGroup(
      group,
      config.consumerName,
      LANES.map((lane) => ({ key: lanes[lane], id: '>' })),
      { COUNT: 1, BLOCK: config.blockMs },
    );
    const streams = (reply as { name: string; messages: StreamEntry[] }[] | null) ?? [];
    return streams
      .flatMap(({ name, messages }) => messages.map((m): HeldEntry => ({ ...m, from: { bucket: 0, lane: name === lanes.bulk ? 'bulk' : 'small' } })))
      .sort((a, b) => LANES.indexOf(a.from.lane) - LANES.indexOf(b.from.lane));
  }

  async function deadLetterMalformed(held: HeldEntry, reason: string): Promise<void> {
    log.warn({ entryId: held.id, reason }, 'malformed fan-out entry moved to dead letters');
    const stream = laneStream(redis, held.from);
    await redis
      .multi()
      .xAdd(k.deadLetterStream(held.from.bucket), '*', { ...held.message, sourceId: held.id, reason })
      .xAck(stream, group, held.id)
      .xDel(stream, held.id)
      .exec();
  }

  async function onChunkFailed(held: HeldEntry, entry: FanoutEntry, attempt: number, err: unknown): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    if (attempt < config.maxAttempts) {
      const wait = retryDelayMs(attempt, config.retryBaseMs, config.retryCapMs);
      log.warn({ job: entry.job, chunks: held.message.chunks, attempt, wait, error }, 'chunk failed; retrying later');
      await scheduleRetry(redis, held.from, held.id, held.message, attempt + 1, wait);
      return;
    }
    log.error({ job: entry.job, chunks: held.message.chunks, attempt, error }, 'chunk failed on its last attempt; dead-lettered');
    await reportDeliveredSoFar(redis, entry, attempt, config.progressIntervalMs);
    await giveUpChunk(redis, {
      from: held.from,
      entryId: held.id,
      chunksField: held.message.chunks ?? '',
      entry,
      attempts: attempt,
      error: `delivery failed after ${attempt} attempts: ${error}`,
    });
  }

  /** Runs one entry; answers the deliveries it counts (0 when it was not run). */
  async function deliver(held: HeldEntry): Promise<number> {
    const parsed = fanoutEntrySchema.safeParse(held.message);
    if (!parsed.success) {
      await deadLetterMalformed(held, `malformed entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return 0;
    }
    const entry = parsed.data;
    const attempt = attemptOf(held.message);
    if (attempt > config.maxAttempts) {
      await onChunkFailed(held, entry, attempt - 1, new Error('its worker died on every attempt'));
      return 0;
    }

    const stream = laneStream(redis, held.from);
    let lastClaim = Date.now();
    let outcome;
    try {
      outcome = await fanOutEntry(redis, config, entry, {
        attempt,
        shouldStop: () => stopping,
        afterPage: async () => {
          await markAlive();
          // Claiming our own entry resets its idle time, so a long chunk is not taken from a live worker.
          if (Date.now() - lastClaim < config.claimIdleMs / 3) return;
          lastClaim = Date.now();
          await redis.xClaimJustId(stream, group, config.consumerName, 0, held.id);
        },
      });
    } catch (err) {
      if (isRedisUnavailable(err)) throw err;
      await onChunkFailed(held, entry, attempt, err);
      return 0;
    }

    const done = redis.multi();
    // A stopped entry goes back on the stream at once rather than waiting to be claimed; its
    // chunks' cursors are stored, so whoever takes it resumes where this worker stopped.
    if (outcome.state === 'stopped') done.xAdd(stream, '*', held.message);
    // Acknowledged entries are deleted, so the stream holds only outstanding work.
    await done.xAck(stream, group, held.id).xDel(stream, held.id).exec();
    return outcome.delivered;
  }

  async function run(): Promise<void> {
    let lastClaimCheck = 0;
    let lastPromote = 0;
    let lastTidy = 0;
    let failures = 0;
    let inHand: HeldEntry[] = [];
    while (!stopping) {
      try {
        if (inHand.length === 0) {
          await ensureGroup();
          await markAlive();
          if (Date.now() - lastTidy >= 60_000) {
            lastTidy = Date.now();
            await forgetDeadConsumers();
          }
          if (Date.now() - lastPromote >= PROMOTE_INTERVAL_MS) {
            lastPromote = Date.now();
            for (const bucket of k.layout.all) await promoteDueRetries(redis, bucket);
          }
          if (Date.now() >= noClaimsUntil && Date.now() - lastClaimCheck >= config.claimIdleMs / 2) {
            const claimed = await claimStalled();
            inHand = claimed.entries;
            // A dead worker may have left several entries: keep claiming until none is left.
            lastClaimCheck = claimed.took ? 0 : Date.now();
          }
          if (inHand.length === 0) inHand = await readNew();
        }
        while (inHand.length > 0) {
          const held = inHand[0]!;
          // Also after an outage, before going back to the entries in hand: a stale heartbeat
          // would let another worker count them as an attempt.
          await markAlive();
          const weight = Math.max(ENTRY_COST_IN_DELIVERIES, await deliver(held));
          inHand.shift();
          if (held.from.lane === 'small') {
            share.smallEntries++;
            share.smallDelivered += weight;
          } else {
            Object.assign(share, { smallEntries: 0, smallDelivered: 0, lastBulkDelivered: weight });
          }
        }
        failures = 0;
      } catch (err) {
        failures++;
        // A Redis that restarted without its data has lost the group too; make it again.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) groupReady = false;
        // Entries in hand are kept through an outage; after any other error they are let go
        // (still pending), so the claim path counts attempts and ends in dead letters if need be.
        if (!isRedisUnavailable(err)) inHand = [];
        const wait = Math.min(100 * 2 ** Math.min(failures, 5), 3000) * (0.5 + Math.random() / 2);
        if (isRedisUnavailable(err)) log.warn({ err: String(err), wait }, 'redis unavailable; retrying');
        else log.error({ err }, 'fan-out loop failed; retrying');
        await backOff(wait);
      }
    }
    // Stopped while entries were in hand (during an outage): hand them back once Redis is back,
    // so they need not wait to be claimed, which would also count an attempt against them.
    // Entries not handed back within HAND_BACK_WAIT_MS stay pending and are claimed later.
    const giveUpAt = Date.now() + HAND_BACK_WAIT_MS;
    for (const held of inHand) {
      for (;;) {
        try {
          await handBack(held);
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

  /** Waits `ms`, or until the connection to Redis comes back if that is sooner. */
  function backOff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });
  }

  /** Puts an entry back on its lane for any worker to take; its cursor says where to resume. */
  async function handBack(held: HeldEntry): Promise<void> {
    const stream = laneStream(redis, held.from);
    await redis.multi().xAdd(stream, '*', held.message).xAck(stream, group, held.id).xDel(stream, held.id).exec();
  }

  const finished = run().finally(() => {
    redis.off('ready', onReconnect);
    return redis.zRem(keys.workers, config.consumerName).catch(() => {});
  });
  return {
    finished,
    async stop() {
      stopping = true;
      await finished;
    },
  };
}
