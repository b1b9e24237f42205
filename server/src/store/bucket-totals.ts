import { keysOf, type RedisClient } from '@ripple/shared/node';

/**
 * Readers of what is counted per bucket (docs/cluster-design.md): counters that every page or
 * admission touches live in the bucket it runs in, so no one key is hit by every page on every
 * master; their sum is the total. A single Redis has one bucket, and these read one key each.
 */

const sumHashes = (hashes: Record<string, string>[]): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const hash of hashes) {
    for (const [field, value] of Object.entries(hash)) sum[field] = (sum[field] ?? 0) + Number(value);
  }
  return sum;
};

/** Outstanding follower deliveries of small tweets and of the others: accepted, not yet delivered. */
export async function readBacklogs(redis: RedisClient): Promise<{ small: number; big: number }> {
  const k = keysOf(redis);
  const readings = await Promise.all(k.layout.all.map((b) => redis.mGet([k.smallBacklog(b), k.backlog(b)])));
  return readings.reduce((sum, [small, big]) => ({ small: sum.small + Number(small ?? 0), big: sum.big + Number(big ?? 0) }), { small: 0, big: 0 });
}

/** Outstanding follower deliveries, small tweets' and others' together. */
export async function readBacklog(redis: RedisClient): Promise<number> {
  const { small, big } = await readBacklogs(redis);
  return small + big;
}

/** The stats counters (records/stats-record.ts), summed over buckets. */
export async function readCounters(redis: RedisClient): Promise<Record<string, number>> {
  const k = keysOf(redis);
  return sumHashes(await Promise.all(k.layout.all.map((b) => redis.hGetAll(k.stats(b)))));
}

/** The fan-out duration histogram (records/fanout-durations-record.ts), summed over buckets. */
export async function readDurationHistogram(redis: RedisClient): Promise<Record<string, number>> {
  const k = keysOf(redis);
  return sumHashes(await Promise.all(k.layout.all.map((b) => redis.hGetAll(k.fanoutDurations(b)))));
}

/** The most recent fan-outs of every bucket, as "<finishedAtMs>:<durationMs>". */
export async function readRecentDurations(redis: RedisClient): Promise<string[]> {
  const k = keysOf(redis);
  return (await Promise.all(k.layout.all.map((b) => redis.lRange(k.recentDurations(b), 0, -1)))).flat();
}

/** Entries in the dead-letter streams. */
export async function readDeadLetterCount(redis: RedisClient): Promise<number> {
  const k = keysOf(redis);
  return (await Promise.all(k.layout.all.map((b) => redis.xLen(k.deadLetterStream(b))))).reduce((sum, n) => sum + n, 0);
}

/** Scheduled tweets waiting for their time: the publish schedules' sizes. */
export async function readScheduledWaiting(redis: RedisClient): Promise<number> {
  const k = keysOf(redis);
  return (await Promise.all(k.layout.all.map((b) => redis.zCard(k.publishSchedule(b))))).reduce((sum, n) => sum + n, 0);
}
