import { statsField } from '@ripple/shared';
import { clusterOf, keysOf, waitForReplicas, type Logger, type RedisClient } from '@ripple/shared/node';

/**
 * After admission on a Redis Cluster, asks one replica of the author's master to confirm the
 * write (`WAIT 1`), since replication is asynchronous and `WAIT` cannot run inside the script.
 * When none confirms within `timeoutMs` the tweet is still accepted (it is on the master) and
 * the miss is counted (`ripple_admission_unreplicated_total`): README, "Loss window".
 *
 * WAIT holds the connection to that master while it waits, and every command of this node for
 * that master queues behind it; a master with no replica (just promoted, its old master not yet
 * back) would make each admission there wait the whole timeout, one after another. So after a
 * miss, a bucket is not waited on for SKIP_AFTER_MISS_MS: its admissions count as unreplicated
 * at once. A single Redis has no replica to ask: the check is a no-op there.
 */
export interface ReplicationCheck {
  /** Resolves once a replica confirmed, or the miss is counted; never rejects. */
  confirm(authorId: string, tweetKey: string): Promise<void>;
}

/**
 * A replica on the same network confirms in well under a millisecond; 20 ms rides out a busy
 * moment without letting a missing replica cost much accept latency.
 */
export const DEFAULT_REPLICA_WAIT_MS = 20;
/** After a miss, how long admissions to that bucket count as unreplicated without waiting. */
const SKIP_AFTER_MISS_MS = 1000;

/** `timeoutMs` 0: never wait (nothing is counted either). */
export function createReplicationCheck(redis: RedisClient, log: Logger, timeoutMs = DEFAULT_REPLICA_WAIT_MS): ReplicationCheck {
  if (!clusterOf(redis) || timeoutMs === 0) return { confirm: async () => {} };
  const keys = keysOf(redis);
  const skipUntil = new Map<number, number>();
  return {
    async confirm(authorId, tweetKey) {
      const bucket = keys.layout.bucketOf(authorId);
      let confirmed = false;
      if ((skipUntil.get(bucket) ?? 0) <= Date.now()) {
        confirmed = await waitForReplicas(redis, tweetKey, 1, timeoutMs).then(
          (replicas) => replicas >= 1,
          () => false,
        );
        if (!confirmed) skipUntil.set(bucket, Date.now() + SKIP_AFTER_MISS_MS);
      }
      if (confirmed) return;
      await redis.hIncrBy(keys.stats(bucket), statsField.unreplicated, 1).catch((err: unknown) => {
        log.warn({ err: String(err) }, 'could not count an unreplicated admission');
      });
    },
  };
}
