import { ACTIVITY_WRITE_EVERY_MS, inactiveBeforeMs, isRedisUnavailable, keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import { markActivity, rebuildTimeline } from './store/rebuild-timeline.js';

/**
 * How long a rebuild stays pending at most (s): retried by every node that marks the user
 * meanwhile, it is given up after a day, and the user is then simply active with the timeline
 * they have.
 */
const REBUILD_PENDING_TTL_S = 24 * 3600;

/** Records a user as active now (keys.lastActive), e.g. at sign-up. */
export async function markActive(redis: RedisClient, userId: string, nowMs = Date.now()): Promise<void> {
  const k = keysOf(redis);
  await redis.zAdd(k.lastActive(k.layout.bucketOf(userId)), { score: nowMs, value: userId }, { comparison: 'GT' });
}

export interface Activity {
  /**
   * Marks the caller active, at most every ACTIVITY_WRITE_EVERY_MS per node. A user coming back
   * after INACTIVE_AFTER_DAYS, whom delivery pages have been leaving out, first has their
   * timeline rebuilt: the promise settles once it is, so their first read answers from the
   * rebuilt timeline, on whichever node. Never rejects: a mark or rebuild that fails lets the
   * request go on (a user is never locked out by their timeline, and a read still answers while
   * Redis refuses writes for memory), and the user's next request tries again.
   */
  recordActive(userId: string): Promise<void>;
}

export function createActivity(
  redis: RedisClient,
  log: Logger,
  { inactiveAfterDays, timelineMax }: { inactiveAfterDays: number; timelineMax: number },
): Activity {
  // Per user: when this node last wrote the mark, and that write (with any rebuild) for the
  // requests that arrive while it runs to wait on. Oldest first: a new write moves its user to
  // the end, so the entries past their time are at the front, and each write drops those.
  const written = new Map<string, { at: number; done: Promise<void> }>();

  /** False when the mark could not be written: Redis unreachable, or refusing writes. */
  async function markAndRebuild(userId: string, now: number): Promise<boolean> {
    try {
      // Marked first: a page that runs from now on writes this user's timeline again, and the
      // rebuild reads every tweet posted before it; none falls between the two.
      const since = await markActivity(redis, userId, now, inactiveBeforeMs(inactiveAfterDays, now), REBUILD_PENDING_TTL_S);
      if (since === null) return true;
      // Every tweet posted before the old mark was written to the user, active then (or is in an
      // earlier rebuild). From a few minutes before it: tweet ids follow the Redis masters'
      // clocks, the mark a server's, and the two need not agree.
      const length = await rebuildTimeline(redis, userId, timelineMax, since - ACTIVITY_WRITE_EVERY_MS);
      log.info({ userId, inactiveSinceMs: since, length }, 'rebuilt the timeline of a returning user');
      return true;
    } catch (err) {
      // The request's own commands answer for an outage (503 unavailable), not this side write.
      if (isRedisUnavailable(err)) return false;
      // Still pending: the next node to mark the user (this one after ACTIVITY_WRITE_EVERY_MS) tries again.
      log.error({ err, userId }, 'could not mark a user active or rebuild their timeline');
      return true;
    }
  }

  return {
    recordActive(userId) {
      const now = Date.now();
      const last = written.get(userId);
      if (last && now - last.at < ACTIVITY_WRITE_EVERY_MS) return last.done;
      for (const [id, w] of written) {
        if (now - w.at < ACTIVITY_WRITE_EVERY_MS) break;
        written.delete(id);
      }
      const done = markAndRebuild(userId, now).then((marked) => {
        // Not marked: the user's next request tries again.
        if (!marked && written.get(userId)?.done === done) written.delete(userId);
      });
      written.delete(userId);
      written.set(userId, { at: now, done });
      return done;
    },
  };
}
