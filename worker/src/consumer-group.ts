import { keys, WORKER_ALIVE_MS } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import type { Heartbeat } from './heartbeat.js';
import { laneStream, type LaneRef } from './retries.js';

/** A consumer that has held nothing for this long, and does not beat, is forgotten. */
const FORGET_AFTER_MS = 60_000;

/** The consumer group `fanout-workers` on every lane: made when missing, kept tidy. */
export interface ConsumerGroup {
  /** Makes the group on every lane, once; again after `lost` (a Redis that lost its data). */
  ensure(): Promise<void>;
  /** Marks the group as lost, so the next `ensure` makes it again. */
  lost(): void;
  /**
   * Forgets consumers of dead workers once they hold nothing: every worker start is a new
   * consumer name, and the group would otherwise grow forever.
   */
  forgetDeadConsumers(): Promise<void>;
}

export function consumerGroupOn(redis: RedisClient, lanes: readonly LaneRef[], heartbeat: Heartbeat): ConsumerGroup {
  let ready = false;
  return {
    async ensure() {
      if (ready) return;
      for (const ref of lanes) {
        try {
          // From the start of the stream: entries added before any worker ever ran are work too.
          await redis.xGroupCreate(laneStream(redis, ref), keys.fanoutGroup, '0', { MKSTREAM: true });
        } catch (err) {
          if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
        }
      }
      ready = true;
    },
    lost() {
      ready = false;
    },
    async forgetDeadConsumers() {
      await redis.zRemRangeByScore(keys.workers, '-inf', Date.now() - FORGET_AFTER_MS);
      const alive = new Set(await heartbeat.aliveWithin(WORKER_ALIVE_MS));
      for (const ref of lanes) {
        const stream = laneStream(redis, ref);
        for (const consumer of await redis.xInfoConsumers(stream, keys.fanoutGroup)) {
          if (!alive.has(consumer.name) && consumer.pending === 0 && consumer.idle > FORGET_AFTER_MS) {
            await redis.xGroupDelConsumer(stream, keys.fanoutGroup, consumer.name);
          }
        }
      }
    },
  };
}
