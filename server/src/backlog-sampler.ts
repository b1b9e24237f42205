import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';

/** Outstanding deliveries of small tweets and of the others, in some buckets. */
export interface OtherBacklog {
  small: number;
  big: number;
}

/**
 * The backlogs counted in the buckets other than an author's, for admission's global bounds
 * (docs/cluster-design.md, "Global bounds without a hot key"). Admission adds the author's own
 * bucket's counters, read in its script. On a single Redis there is no other bucket; on a
 * cluster the others are summed every SAMPLE_MS, so the bounds can be passed by the tweets
 * admitted on other masters within one sample. (The author's own share needs no sample: it is
 * counted in the author's bucket.)
 */
export interface BacklogSampler {
  otherBacklog(bucket: number): OtherBacklog;
  stop(): void;
}

export const SAMPLE_MS = 100;

const NONE: OtherBacklog = { small: 0, big: 0 };

export function startBacklogSampler(redis: RedisClient, log: Logger): BacklogSampler {
  const keys = keysOf(redis);
  const { layout } = keys;
  if (layout.buckets === 1) return { otherBacklog: () => NONE, stop: () => {} };
  const readings: OtherBacklog[] = layout.all.map(() => NONE);
  let total = NONE;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    // Bucket by bucket (both counters of a bucket share its slot, so one MGET): a master that
    // is away keeps its buckets' last sample (admission there fails anyway), and the others
    // stay fresh.
    void Promise.allSettled(layout.all.map((bucket) => redis.mGet([keys.smallBacklog(bucket), keys.backlog(bucket)]))).then((results) => {
      // Readings and their total change together: a reading stored before the total is summed
      // would make otherBacklog() subtract a bucket's new value from a total holding its old one.
      results.forEach((r, bucket) => {
        if (r.status === 'fulfilled') readings[bucket] = { small: Number(r.value[0] ?? 0), big: Number(r.value[1] ?? 0) };
      });
      total = readings.reduce((sum, n) => ({ small: sum.small + n.small, big: sum.big + n.big }), NONE);
      if (results.some((r) => r.status === 'rejected')) log.debug('backlog sample missed a bucket; kept its last value');
      inFlight = false;
    });
  }, SAMPLE_MS);
  timer.unref();
  return {
    otherBacklog: (bucket) => {
      const own = readings[bucket] ?? NONE;
      return { small: total.small - own.small, big: total.big - own.big };
    },
    stop: () => clearInterval(timer),
  };
}
