import { setTimeout as delay } from 'node:timers/promises';
import { fanoutEntrySchema, keys, WORKER_ALIVE_MS, type FanoutEntry } from '@ripple/shared';
import { isRedisUnavailable, type Logger, type RedisClient } from '@ripple/shared/node';
import type { WorkerConfig } from './config.js';
import { fanOutChunk } from './fan-out.js';
import { giveUpChunk, promoteDueRetries, retryDelayMs, scheduleRetry, type Lane } from './retries.js';

interface StreamEntry {
  id: string;
  message: Record<string, string>;
}

/** An entry this worker holds, the lane it came from, and how many times the group has handed it out. */
interface HeldEntry extends StreamEntry {
  lane: Lane;
  deliveries: number;
}

export interface ConsumerDeps {
  /** Connection for the blocking XREADGROUP; nothing else may use it. */
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
/** Lanes in the order they are served: small jobs always first. */
const LANES: readonly Lane[] = ['small', 'bulk'];
const laneOf = (stream: string): Lane => (stream === keys.fanoutLanes.bulk ? 'bulk' : 'small');
/** Due retries are looked for at most this often. */
const PROMOTE_INTERVAL_MS = 250;
/** Small jobs taken at once; each is one short page, so a handful stays quick to finish. */
const SMALL_BATCH = 10;
/** How often a worker says it is alive (for the dashboard) and tidies up after dead ones. */
const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * The worker's loop: read fan-out entries through the consumer group, deliver them, ack them.
 *
 * - Entries left pending by a dead consumer are claimed after `claimIdleMs`; being handed out
 *   again counts as another attempt, so a chunk that kills its workers cannot loop forever.
 * - A chunk that fails is retried with backoff (through the retry schedule, so other work
 *   flows meanwhile) until `maxAttempts`, then dead-lettered and its job failed.
 * - While Redis is unreachable the entry in hand is kept and retried until Redis is back;
 *   that is an outage, not a failure of the chunk, and costs no attempt.
 */
export function startConsumer(deps: ConsumerDeps): FanoutConsumer {
  const { reader, redis, config, log } = deps;
  let stopping = false;
  let groupReady = false;

  async function ensureGroup(): Promise<void> {
    if (groupReady) return;
    for (const lane of LANES) {
      try {
        // From the start of the stream: entries added before any worker ever ran are work too.
        await redis.xGroupCreate(keys.fanoutLanes[lane], group, '0', { MKSTREAM: true });
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
      }
    }
    groupReady = true;
  }

  /** One entry left pending too long by another (presumably dead) consumer, small lane first. */
  async function claimStalled(): Promise<HeldEntry[]> {
    for (const lane of LANES) {
      const stream = keys.fanoutLanes[lane];
      const claimed = await redis.xAutoClaim(stream, group, config.consumerName, config.claimIdleMs, '0-0', { COUNT: 1 });
      const entries = claimed.messages.filter((m): m is StreamEntry => m !== null);
      if (entries.length === 0) continue;
      return Promise.all(
        entries.map(async (entry) => {
          const [pending] = await redis.xPendingRange(stream, group, entry.id, entry.id, 1);
          return { ...entry, lane, deliveries: pending?.deliveriesCounter ?? 2 };
        }),
      );
    }
    return [];
  }

  /**
   * Records this worker as alive, and forgets consumers of dead workers once they hold nothing:
   * every worker start is a new consumer name, and the group would otherwise grow forever.
   */
  async function heartbeat(): Promise<void> {
    const now = Date.now();
    await redis.zAdd(keys.workers, { score: now, value: config.consumerName });
    await redis.zRemRangeByScore(keys.workers, '-inf', now - 60_000);
    const alive = new Set(await redis.zRangeByScore(keys.workers, now - WORKER_ALIVE_MS, '+inf'));
    for (const lane of LANES) {
      const stream = keys.fanoutLanes[lane];
      for (const consumer of await redis.xInfoConsumers(stream, group)) {
        if (!alive.has(consumer.name) && consumer.pending === 0 && consumer.idle > 60_000) {
          await redis.xGroupDelConsumer(stream, group, consumer.name);
        }
      }
    }
  }

  /**
   * Small jobs first, and all of them: a bulk chunk is taken only when no small job waits, so a
   * tweet to a hundred followers waits for at most the one chunk a worker is already writing.
   * When both lanes are empty, waits on both at once.
   */
  async function readNew(): Promise<HeldEntry[]> {
    const small = await redis.xReadGroup(group, config.consumerName, { key: keys.fanoutLanes.small, id: '>' }, { COUNT: SMALL_BATCH });
    const waiting = (small as { messages: StreamEntry[] }[] | null)?.[0]?.messages ?? [];
    if (waiting.length > 0) return waiting.map((m) => ({ ...m, lane: 'small' as const, deliveries: 1 }));

    const reply = await reader.xReadGroup(
      group,
      config.consumerName,
      LANES.map((lane) => ({ key: keys.fanoutLanes[lane], id: '>' })),
      { COUNT: 1, BLOCK: config.blockMs },
    );
    const streams = (reply as { name: string; messages: StreamEntry[] }[] | null) ?? [];
    return streams
      .flatMap(({ name, messages }) => messages.map((m) => ({ ...m, lane: laneOf(name), deliveries: 1 })))
      .sort((a, b) => LANES.indexOf(a.lane) - LANES.indexOf(b.lane));
  }

  async function deadLetterMalformed(held: HeldEntry, reason: string): Promise<void> {
    log.warn({ entryId: held.id, reason }, 'malformed fan-out entry moved to dead letters');
    const stream = keys.fanoutLanes[held.lane];
    await redis
      .multi()
      .xAdd(keys.deadLetterStream, '*', { ...held.message, sourceId: held.id, reason })
      .xAck(stream, group, held.id)
      .xDel(stream, held.id)
      .exec();
  }

  async function onChunkFailed(held: HeldEntry, entry: FanoutEntry, attempt: number, err: unknown): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    if (attempt < config.maxAttempts) {
      const wait = retryDelayMs(attempt, config.retryBaseMs, config.retryCapMs);
      log.warn({ job: entry.job, lo: entry.lo, attempt, wait, error }, 'chunk failed; retrying later');
      await scheduleRetry(redis, held.lane, held.id, entry, attempt + 1, wait);
      return;
    }
    log.error({ job: entry.job, lo: entry.lo, attempt, error }, 'chunk failed on its last attempt; dead-lettered');
    await giveUpChunk(redis, {
      lane: held.lane,
      entryId: held.id,
      entry,
      attempts: attempt,
      error: `delivery failed after ${attempt} attempts: ${error}`,
    });
  }

  async function deliver(held: HeldEntry): Promise<void> {
    const parsed = fanoutEntrySchema.safeParse(held.message);
    if (!parsed.success) {
      await deadLetterMalformed(held, `malformed entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    const entry = parsed.data;
    const attempt = Number(entry.attempt ?? 1) + held.deliveries - 1;
    if (attempt > config.maxAttempts) {
      await onChunkFailed(held, entry, attempt - 1, new Error('its worker stopped or died on every attempt'));
      return;
    }

    const stream = keys.fanoutLanes[held.lane];
    let lastHeartbeat = Date.now();
    let outcome;
    try {
      outcome = await fanOutChunk(redis, config, entry, {
        attempt,
        shouldStop: () => stopping,
        afterPage: async () => {
          // Claiming our own entry resets its idle time, so a long chunk is not taken from a live worker.
          if (Date.now() - lastHeartbeat < config.claimIdleMs / 3) return;
          lastHeartbeat = Date.now();
          await redis.xClaimJustId(stream, group, config.consumerName, 0, held.id);
        },
      });
    } catch (err) {
      if (isRedisUnavailable(err)) throw err;
      await onChunkFailed(held, entry, attempt, err);
      return;
    }

    const done = redis.multi();
    // A stopped chunk goes back on the stream at once rather than waiting to be claimed; its
    // cursor lives in the job record, so whoever takes it resumes where this worker stopped.
    if (outcome === 'stopped') done.xAdd(stream, '*', { ...held.message, attempt: String(attempt) });
    // Acknowledged entries are deleted, so the stream holds only outstanding work.
    await done.xAck(stream, group, held.id).xDel(stream, held.id).exec();
  }

  async function run(): Promise<void> {
    let lastClaimCheck = 0;
    let lastPromote = 0;
    let lastHeartbeat = 0;
    let failures = 0;
    let inHand: HeldEntry[] = [];
    while (!stopping) {
      try {
        if (inHand.length === 0) {
          await ensureGroup();
          if (Date.now() - lastHeartbeat >= HEARTBEAT_INTERVAL_MS) {
            lastHeartbeat = Date.now();
            await heartbeat();
          }
          if (Date.now() - lastPromote >= PROMOTE_INTERVAL_MS) {
            lastPromote = Date.now();
            await promoteDueRetries(redis);
          }
          if (Date.now() - lastClaimCheck >= config.claimIdleMs / 2) {
            inHand = await claimStalled();
            // A dead worker may have left several entries: keep claiming until none is left.
            lastClaimCheck = inHand.length > 0 ? 0 : Date.now();
          }
          if (inHand.length === 0) inHand = await readNew();
        }
        while (inHand.length > 0) {
          await deliver(inHand[0]!);
          inHand.shift();
        }
        failures = 0;
      } catch (err) {
        failures++;
        // A Redis that restarted without its data has lost the group too; make it again.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) groupReady = false;
        const wait = Math.min(100 * 2 ** Math.min(failures, 5), 3000) * (0.5 + Math.random() / 2);
        if (isRedisUnavailable(err)) log.warn({ err: String(err), wait }, 'redis unavailable; retrying');
        else log.error({ err }, 'fan-out loop failed; retrying');
        await delay(wait);
      }
    }
  }

  const finished = run().finally(() => redis.zRem(keys.workers, config.consumerName).catch(() => {}));
  return {
    finished,
    async stop() {
      stopping = true;
      await finished;
    },
  };
}
