import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import { rebuildTimeline } from './store/rebuild-timeline.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * How often one node writes a user's last activity at most. INACTIVE_AFTER_DAYS counts in days,
 * so a mark a few minutes old is as good as a fresh one, and an active user costs a write every
 * few minutes instead of one per request.
 */
export const ACTIVITY_WRITE_EVERY_MS = 5 * 60_000;

/** Records a user as active now (keys.lastActive), e.g. at sign-up. */
export async function markActive(redis: RedisClient, userId: string, nowMs = Date.now()): Promise<void> {
  const k = keysOf(redis);
  await redis.zAdd(k.lastActive(k.layout.bucketOf(userId)), { score: nowMs, value: userId }, { comparison: 'GT' });
}

export interface Activity {
  /**
   * Marks the caller active, at most every ACTIVITY_WRITE_EVERY_MS per node. A user coming back
   * after INACTIVE_AFTER_DAYS, whom workers have been leaving out, first has their timeline
   * rebuilt: the promise settles once it is, so their first read answers from the rebuilt timeline.
   */
  recordActive(userId: string): Promise<void>;
}

export function createActivity(
  redis: RedisClient,
  log: Logger,
  { inactiveAfterDays, timelineMax }: { inactiveAfterDays: number; timelineMax: number },
): Activity {
  // Per user: when this node last wrote the mark, and that write (with any rebuild) for the
  // requests that arrive while it runs to wait on.
  const written = new Map<string, { at: number; done: Promise<void> }>();
  const inactiveMs = inactiveAfterDays * DAY_MS;

  async function markAndRebuild(userId: string, now: number): Promise<void> {
    const k = keysOf(redis);
    const key = k.lastActive(k.layout.bucketOf(userId));
    const before = inactiveMs > 0 ? await redis.zScore(key, userId) : null;
    // Marked first: a page that runs from now on writes this user's timeline again, and the
    // rebuild reads every tweet posted before it; none falls between the two.
    await markActive(redis, userId, now);
    if (before === null || before >= now - inactiveMs) return;
    try {
      const length = await rebuildTimeline(redis, userId, timelineMax);
      log.info({ userId, inactiveSinceMs: before, length }, 'rebuilt the timeline of a returning user');
    } catch (err) {
      // Still inactive as far as the next request can tell, which tries the rebuild again.
      await redis.zAdd(key, { score: before, value: userId }).catch(() => {});
      throw err;
    }
  }

  return {
    recordActive(userId) {
      const now = Date.now();
      const last = written.get(userId);
      if (last && now - last.at < ACTIVITY_WRITE_EVERY_MS) return last.done;
      if (written.size > 100_000) {
        for (const [id, w] of written) if (now - w.at >= ACTIVITY_WRITE_EVERY_MS) written.delete(id);
      }
      const done = markAndRebuild(userId, now);
      written.set(userId, { at: now, done });
      done.catch(() => written.delete(userId));
      return done;
    },
  };
}
