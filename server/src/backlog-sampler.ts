import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';

/**
 * The backlog counted in the buckets other than an author's, for admission's global bounds
 * (docs/cluster-design.md, "Global bounds without a hot key"). Admission adds the author's own
 * bucket's counter, read in its script. On a single Redis there is no other bucket; on a
 * cluster the others are summed every SAMPLE_MS, so the bounds can be passed by the tweets
 * admitted on other masters within one sample.
 */
export interface BacklogSampler {
  otherBacklog(bucket: number): number;
  stop(): void;
}

export const SAMPLE_MS = 100;

export function startBacklogSampler(redis: RedisClient, log: Logger): BacklogSampler {
  const keys = keysOf(redis);
  const { layout } = keys;
  if (layout.buckets === 1) return { otherBacklog: () => 0, stop: () => {} };
  const backlogs: number[] = layout.all.map(() => 0);
  let total = 0;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    // Bucket by bucket: a master that is away keeps its buckets' last sample (admission there
    // fails anyway), and the others stay fresh.
    void Promise.allSettled(layout.all.map((bucket) => redis.get(keys.backlog(bucket)))).then((results) => {
      // Readings and their total change together: a reading stored before the total is summed
      // would make otherBacklog() subtract a bucket's new value from a total holding its old one.
      results.forEach((r, bucket) => {
        if (r.status === 'fulfilled') backlogs[bucket] = Number(r.value ?? 0);
      });
      total = backlogs.reduce((sum, n) => sum + n, 0);
      if (results.some((r) => r.status === 'rejected')) log.debug('backlog sample missed a bucket; kept its last value');
      inFlight = false;
    });
  }, SAMPLE_MS);
  timer.unref();
  return {
    otherBacklog: (bucket) => total - (backlogs[bucket] ?? 0),
    stop: () => clearInterval(timer),
  };
}
