import { chunkId, eventEntryField, fanoutEntrySchema, keys } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';

/** One entry of the events stream: what was published, to whom, with its JSON payload parsed. */
export interface PublishedEvent {
  event: string;
  /** Recipient user ids, comma-separated (several for timeline:new). */
  to: string;
  payload: Record<string, unknown>;
  /** When it was published: the ms part of its stream id, on its master's clock. */
  at: number;
}

/**
 * Every event published so far, oldest first by stream id, read from the events streams of
 * every bucket (`keys.eventsStream`). Every event a worker or the server publishes is written there in the
 * same script call that causes it, so counting here proves "exactly once" without waiting to
 * see whether a second copy reaches a socket later. With `jobId`, only that job's events.
 */
export async function publishedEvents(redis: RedisClient, jobId?: string): Promise<PublishedEvent[]> {
  const k = keysOf(redis);
  const entries = (await Promise.all(k.layout.all.map((b) => redis.xRange(k.eventsStream(b), '-', '+'))))
    .flat()
    .filter((e) => e !== null)
    .sort((a, b) => compareStreamIds(a.id, b.id));
  const events = entries.map((e) => ({
    event: e.message[eventEntryField.event]!,
    to: e.message[eventEntryField.to]!,
    // An on-read tweet's timeline:new names its audience and carries no payload (the relay reads the tweet).
    payload: JSON.parse(e.message[eventEntryField.payload] ?? '{}') as Record<string, unknown>,
    at: Number(e.id.split('-')[0]),
  }));
  return jobId === undefined ? events : events.filter((e) => e.payload.jobId === jobId);
}

const compareStreamIds = (a: string, b: string): number => {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
};

/** Every fan-out lane of every bucket. */
export const allLanes = (redis: RedisClient): string[] => {
  const k = keysOf(redis);
  return k.layout.all.flatMap((b) => Object.values(k.fanoutLanes(b)));
};

/** Entries read by some worker and not yet acknowledged, over every fan-out lane. */
export async function pendingEntries(redis: RedisClient): Promise<number> {
  let pending = 0;
  for (const lane of allLanes(redis)) {
    // Before any worker made the group there is nothing pending, and XPENDING answers NOGROUP.
    const summary = await redis.xPending(lane, keys.fanoutGroup).catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOGROUP')) return { pending: 0 };
      throw err;
    });
    pending += summary.pending;
  }
  return pending;
}

/**
 * The chunks (`chunkId`: `bucket:lo`, as a journey names them) of every entry read by some worker and not
 * yet acknowledged, over every fan-out lane.
 */
export async function pendingChunks(redis: RedisClient): Promise<string[]> {
  const chunks: string[] = [];
  for (const lane of allLanes(redis)) {
    const held = await redis.xPendingRange(lane, keys.fanoutGroup, '-', '+', 1_000).catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOGROUP')) return [];
      throw err;
    });
    for (const { id } of held) {
      const [entry] = (await redis.xRange(lane, id, id)) ?? [];
      if (entry) chunks.push(...fanoutEntrySchema.parse(entry.message).chunks.map(chunkId));
    }
  }
  return chunks;
}

/** Entries on every fan-out lane, read or not: work that is still outstanding. */
export async function queuedEntries(redis: RedisClient): Promise<number> {
  const lengths = await Promise.all(allLanes(redis).map((lane) => redis.xLen(lane)));
  return lengths.reduce((a, b) => a + b, 0);
}
