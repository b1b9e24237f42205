import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

/** One entry of the events stream: what was published, to whom, with its JSON payload parsed. */
export interface PublishedEvent {
  event: string;
  /** Recipient user ids, comma-separated (several for timeline:new). */
  to: string;
  payload: Record<string, unknown>;
}

/**
 * Every event published so far, oldest first, read from the events stream itself
 * (`keys.eventsStream`). Every event a worker or the server publishes is written there in the
 * same script call that causes it, so counting here proves "exactly once" without waiting to
 * see whether a second copy reaches a socket later. With `jobId`, only that job's events.
 */
export async function publishedEvents(redis: RedisClient, jobId?: string): Promise<PublishedEvent[]> {
  const entries = (await redis.xRange(keys.eventsStream, '-', '+')) ?? [];
  const events = entries.map((e) => ({ event: e.message.event!, to: e.message.to!, payload: JSON.parse(e.message.payload!) as Record<string, unknown> }));
  return jobId === undefined ? events : events.filter((e) => e.payload.jobId === jobId);
}

/** Entries read by some worker and not yet acknowledged, over both fan-out lanes. */
export async function pendingEntries(redis: RedisClient): Promise<number> {
  let pending = 0;
  for (const lane of Object.values(keys.fanoutLanes)) {
    // Before any worker made the group there is nothing pending, and XPENDING answers NOGROUP.
    const summary = await redis.xPending(lane, keys.fanoutGroup).catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOGROUP')) return { pending: 0 };
      throw err;
    });
    pending += summary.pending;
  }
  return pending;
}

/** Entries on both fan-out lanes, read or not: work that is still outstanding. */
export async function queuedEntries(redis: RedisClient): Promise<number> {
  const lengths = await Promise.all(Object.values(keys.fanoutLanes).map((lane) => redis.xLen(lane)));
  return lengths.reduce((a, b) => a + b, 0);
}
