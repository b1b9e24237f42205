import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

/** One reading of the cluster-wide counters and the backlog. */
export interface StatsSample {
  /** ms since the epoch, on this node's clock. */
  t: number;
  backlog: number;
  counters: Record<string, number>;
}

export interface StatsSampler {
  /** Per-second rate of a counter over the last `windowS` seconds; null until there are two readings. */
  rate(counter: string, windowS?: number): number | null;
  /** The readings kept, oldest first. */
  samples(): readonly StatsSample[];
  stop(): void;
}

/** Readings kept: one a second for a minute, enough for rates and a dashboard's recent history. */
const KEEP = 61;

/**
 * Reads the shared counters (`ripple:stats`) and the backlog once a second. Every node sees the
 * same counters, so every node computes the same drain rate for Retry-After.
 */
export function startStatsSampler(redis: RedisClient, intervalMs = 1000): StatsSampler {
  const kept: StatsSample[] = [];

  async function sample(): Promise<void> {
    try {
      const [counters, backlog] = await Promise.all([redis.hGetAll(keys.stats), redis.get(keys.backlog)]);
      kept.push({
        t: Date.now(),
        backlog: Number(backlog ?? 0),
        counters: Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, Number(v)])),
      });
      if (kept.length > KEEP) kept.shift();
    } catch {
      // Redis is away: no reading this second. Rates are computed over the readings there are.
    }
  }

  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();

  return {
    rate(counter, windowS = 10) {
      const last = kept[kept.length - 1];
      if (!last) return null;
      const first = kept.find((s) => s.t >= last.t - windowS * 1000) ?? kept[0]!;
      if (first === last) return null;
      return ((last.counters[counter] ?? 0) - (first.counters[counter] ?? 0)) / ((last.t - first.t) / 1000);
    },
    samples: () => kept,
    stop: () => clearInterval(timer),
  };
}
