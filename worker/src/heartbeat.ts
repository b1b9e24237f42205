import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { everyMs, type WorkerTiming } from './timing.js';

/**
 * A worker's heartbeat: the time it last showed it was alive, in one sorted set of all
 * workers (ms on the workers' clocks). Claims judge by it whether an entry's worker is dead;
 * the dashboard counts the workers alive by it.
 */
export interface Heartbeat {
  /** Records that this worker is alive, at most once per heartbeat interval. */
  beat(): Promise<void>;
  /** The consumers that beat within `windowMs`. */
  aliveWithin(windowMs: number): Promise<string[]>;
  /** Takes this worker off the set, so it is not counted alive after it stopped. */
  leave(): Promise<void>;
}

export function createHeartbeat(redis: RedisClient, consumerName: string, timing: WorkerTiming): Heartbeat {
  const interval = everyMs(timing.heartbeatMs);
  return {
    async beat() {
      if (interval.due()) await redis.zAdd(keys.workers, { score: Date.now(), value: consumerName });
    },
    aliveWithin: (windowMs) => redis.zRangeByScore(keys.workers, Date.now() - windowMs, '+inf'),
    async leave() {
      await redis.zRem(keys.workers, consumerName);
    },
  };
}
