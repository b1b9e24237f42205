import { setTimeout as delay } from 'node:timers/promises';
import { keys } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { laneStream, type Lane, type LaneRef } from './retries.js';

/** An entry this worker holds, and the lane it came from. */
export interface HeldEntry {
  id: string;
  message: Record<string, string>;
  from: LaneRef;
}

interface StreamEntry {
  id: string;
  message: Record<string, string>;
}

/** Small lanes are served first; see takeNew. */
const LANES: readonly Lane[] = ['small', 'bulk'];
/**
 * The most small entries read at once. They run side by side (consumer.ts), so this many cost
 * the worker and Redis about one write and one read per step instead of one each.
 */
export const SMALL_BATCH = 16;
/**
 * What running any entry costs beyond its deliveries (reading it, its report, its ack: a few
 * round trips, about what 100 deliveries take), counted so that a flood of one-follower tweets
 * weighs what it costs the worker, not just what it delivers.
 */
const ENTRY_COST_IN_DELIVERIES = 100;

/** Every lane of every bucket, small lanes first. */
export const allLanesOf = (redis: RedisClient): LaneRef[] => LANES.flatMap((lane) => keysOf(redis).layout.all.map((bucket) => ({ bucket, lane })));

export interface LaneReaderDeps {
  redis: RedisClient;
  /** Connection for the blocking XREADGROUP (single Redis); nothing else may use it. */
  reader: RedisClient;
  consumerName: string;
  /** The longest wait for new work on a single Redis. */
  blockMs: number;
  /** The pause between looks at every lane on a cluster, while all are empty. */
  pollMs: number;
}

/**
 * Reads new entries from the lanes, sharing the worker between them.
 *
 * Small lanes first (a small tweet then waits for at most the one chunk a worker is already
 * writing), a batch of small entries at a time; but once the small entries run since the last bulk
 * chunk have delivered as much as that chunk did, a waiting bulk chunk goes first (deficit round
 * robin). Weighed in deliveries, not entries, the two lanes split a worker evenly when both are
 * full: a flood of small tweets cannot starve a celebrity's fan-out, and an attacker's fan-outs
 * cannot take more than half of any worker (counted in entries, one 10 000-follower chunk per 8
 * small tweets of 100 gave bulk work 90 % of it). Buckets are looked at in turn from a rotating
 * start, so that no bucket is always served last.
 */
export interface LaneReader {
  /** New entries to run, in order; none when every lane stayed empty for a while. */
  takeNew(): Promise<HeldEntry[]>;
  /** Counts what running an entry delivered towards its lane's share. */
  weigh(held: HeldEntry, delivered: number): void;
}

export function createLaneReader(deps: LaneReaderDeps): LaneReader {
  const { redis, consumerName } = deps;
  const lanes = allLanesOf(redis);
  const { buckets } = keysOf(redis).layout;
  let nextBucket = 0;
  /** What the small entries run since the last bulk chunk weigh, and what that chunk weighed. */
  const share = { smallEntries: 0, smallDelivered: 0, lastBulkDelivered: 0 };

  /**
   * Which lanes hold any entry, read or not. On a cluster, a look at every lane's length, sent to
   * all masters at once, costs one round trip where reading each of the 32 lanes in turn would
   * cost 32 between two chunks; a lane whose entries are all in other workers' hands still
   * answers yes, and its read then finds nothing. A single Redis has two lanes: it just reads.
   */
  async function lanesHoldingEntries(): Promise<(from: LaneRef) => boolean> {
    if (buckets === 1) return () => true;
    const lengths = await Promise.all(lanes.map((from) => redis.xLen(laneStream(redis, from))));
    const holding = new Set(lanes.filter((_, i) => lengths[i]! > 0).map((from) => `${from.lane}:${from.bucket}`));
    return (from) => holding.has(`${from.lane}:${from.bucket}`);
  }

  async function readLane(from: LaneRef, count: number): Promise<HeldEntry[]> {
    const reply = await redis.xReadGroup(keys.fanoutGroup, consumerName, { key: laneStream(redis, from), id: '>' }, { COUNT: count });
    return ((reply as { messages: StreamEntry[] }[] | null)?.[0]?.messages ?? []).map((m) => ({ ...m, from }));
  }

  /**
   * How many small entries to read on the small lane's turn: no more than could run before the
   * small lane weighs what the last bulk chunk did, were each to weigh the least an entry does, so
   * a batch, however large, does not carry the small lane through a waiting bulk chunk's turn.
   * A full batch before any bulk chunk has run.
   */
  const smallTurnLeft = () =>
    share.lastBulkDelivered === 0 ? SMALL_BATCH : Math.min(SMALL_BATCH, Math.ceil((share.lastBulkDelivered - share.smallDelivered) / ENTRY_COST_IN_DELIVERIES));

  /** Reads the lanes in the order their shares call for; an empty list when all were empty. */
  async function readInTurn(): Promise<HeldEntry[]> {
    const bulkFirst = share.smallEntries > 0 && share.smallDelivered >= share.lastBulkDelivered;
    const order: readonly Lane[] = bulkFirst ? ['bulk', 'small'] : LANES;
    const start = nextBucket;
    nextBucket = (nextBucket + 1) % buckets;
    const holdsEntries = await lanesHoldingEntries();
    for (const lane of order) {
      const wanted = lane === 'bulk' ? 1 : bulkFirst ? SMALL_BATCH : smallTurnLeft();
      const found: HeldEntry[] = [];
      for (let i = 0; i < buckets && found.length < wanted; i++) {
        const from = { bucket: (start + i) % buckets, lane };
        if (holdsEntries(from)) found.push(...(await readLane(from, wanted - found.length)));
      }
      if (found.length > 0) return found;
    }
    return [];
  }

  /**
   * Waits for the next entry on a single Redis's two lanes at once. A cluster's buckets cannot
   * be waited on together (they are in different slots), so there an idle worker looks at every
   * lane again after `pollMs` instead.
   */
  async function waitForNew(): Promise<HeldEntry[]> {
    if (buckets > 1) {
      await delay(deps.pollMs);
      return [];
    }
    const streams = keysOf(redis).fanoutLanes(0);
    const reply: { name: string; messages: StreamEntry[] }[] | null = await deps.reader.xReadGroup(
      keys.fanoutGroup,
      consumerName,
      LANES.map((lane) => ({ key: streams[lane], id: '>' })),
      { COUNT: 1, BLOCK: deps.blockMs },
    );
    return (reply ?? [])
      .flatMap(({ name, messages }) => messages.map((m): HeldEntry => ({ ...m, from: { bucket: 0, lane: name === streams.bulk ? 'bulk' : 'small' } })))
      .sort((a, b) => LANES.indexOf(a.from.lane) - LANES.indexOf(b.from.lane));
  }

  return {
    async takeNew() {
      const found = await readInTurn();
      return found.length > 0 ? found : waitForNew();
    },
    weigh(held, delivered) {
      const weight = Math.max(ENTRY_COST_IN_DELIVERIES, delivered);
      if (held.from.lane === 'small') {
        share.smallEntries++;
        share.smallDelivered += weight;
      } else {
        Object.assign(share, { smallEntries: 0, smallDelivered: 0, lastBulkDelivered: weight });
      }
    },
  };
}
