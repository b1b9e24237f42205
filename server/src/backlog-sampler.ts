import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import { readBacklogs } from './store/bucket-totals.js';

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
  const { layout } = keysOf(redis);
  if (layout.buckets === 1) return { otherBacklog: () => 0, stop: () => {} };
  let backlogs: number[] = layout.all.map(() => 0);
  let total = 0;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    readBacklogs(redis)
      .then((read) => {
        backlogs = read;
        total = read.reduce((sum, n) => sum + n, 0);
      })
      // A master away keeps the last sample: admission to it fails anyway, the others go on.
      .catch((err: unknown) => log.debug({ err: String(err) }, 'backlog sample failed'))
      .finally(() => (inFlight = false));
  }, SAMPLE_MS);
  timer.unref();
  return {
    otherBacklog: (bucket) => total - (backlogs[bucket] ?? 0),
    stop: () => clearInterval(timer),
  };
}
