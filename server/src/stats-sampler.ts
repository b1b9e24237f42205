import { keys, REFUSAL_REASONS, statsField, WORKER_ALIVE_MS, type DashboardSnapshot, type JobDelivery } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { createCpuSampler } from './cpu-sampler.js';
import { readBacklog, readCounters, readDeadLetterCount, readRecentDurations, readScheduledWaiting } from './store/bucket-totals.js';

/** One reading of the cluster-wide counters, with the dashboard's view of that second. */
export interface StatsSample {
  counters: Record<string, number>;
  snapshot: DashboardSnapshot;
}

export interface StatsSampler {
  /** Per-second rate of a shared counter over the last `windowS` seconds; null until there are two readings. */
  rate(counter: string, windowS?: number): number | null;
  /** The dashboard's snapshots kept, oldest first. */
  history(): DashboardSnapshot[];
  /** Called with each new snapshot. */
  onSnapshot(listener: (snapshot: DashboardSnapshot) => void): void;
  stop(): void;
}

/** Readings kept: one a second for a minute, enough for rates and a dashboard's recent past. */
const KEEP = 60;
const MINUTE_MS = 60_000;

/** The p-th percentile (0–100) of ascending values, by nearest rank. */
export function percentile(ascending: number[], p: number): number | null {
  if (ascending.length === 0) return null;
  return ascending[Math.min(ascending.length - 1, Math.max(0, Math.ceil((p / 100) * ascending.length) - 1))]!;
}

const refused = (counters: Record<string, number>) => REFUSAL_REASONS.reduce((sum, reason) => sum + (counters[statsField.refused(reason)] ?? 0), 0);

/**
 * Reads the shared counters and gauges once a second. They live in Redis, written by every
 * server and worker, so every node sees the same numbers: the same drain rate for Retry-After,
 * the same dashboard, the same /metrics.
 */
export function startStatsSampler(redis: RedisClient, intervalMs = 1000): StatsSampler {
  const kept: StatsSample[] = [];
  const listeners: ((snapshot: DashboardSnapshot) => void)[] = [];
  const cpuSampler = createCpuSampler(redis);

  function perSecond(now: Record<string, number>, before: StatsSample | undefined, value: (c: Record<string, number>) => number, t: number): number {
    if (!before) return 0;
    const seconds = (t - before.snapshot.t) / 1000;
    return seconds > 0 ? Math.max(0, (value(now) - value(before.counters)) / seconds) : 0;
  }

  async function sample(): Promise<void> {
    const t = Date.now();
    let reading;
    try {
      reading = await Promise.all([
        readCounters(redis),
        readBacklog(redis),
        readDeadLetterCount(redis),
        redis.zCount(keys.workers, t - WORKER_ALIVE_MS, '+inf'),
        readRecentDurations(redis),
        readScheduledWaiting(redis),
      ]);
    } catch {
      return; // Redis is away: no reading this second; rates use the readings there are.
    }
    const [counters, backlog, deadLetters, workersAlive, recent, scheduledWaiting] = reading;
    // Only once the rest is read: the CPU sampler moves its baselines on as it reads, and a
    // second dropped after that would lose the rates (a worker's burst of work) it took.
    const cpu = await cpuSampler.sample();
    const lastMinute = recent
      .map((entry) => entry.split(':').map(Number) as [number, number])
      .filter(([finishedAt]) => finishedAt >= t - MINUTE_MS)
      .map(([, duration]) => duration)
      .sort((a, b) => a - b);
    const previous = kept[kept.length - 1];
    const admitted = (delivery: JobDelivery) => perSecond(counters, previous, (c) => c[statsField.delivery(delivery)] ?? 0, t);
    const snapshot: DashboardSnapshot = {
      t,
      backlog,
      deliveriesPerSecond: Math.round(perSecond(counters, previous, (c) => c[statsField.delivered] ?? 0, t)),
      acceptedPerSecond: Math.round(perSecond(counters, previous, (c) => c[statsField.accepted] ?? 0, t)),
      refusedPerSecond: Math.round(perSecond(counters, previous, refused, t)),
      fanoutP50Ms: percentile(lastMinute, 50),
      fanoutP99Ms: percentile(lastMinute, 99),
      workersAlive,
      deadLetters,
      cpu,
      scheduledWaiting,
      // Not rounded: a demo posts a tweet every few seconds, and the mix is read over the minute.
      deliveryMix: { fanOut: admitted('fan-out'), inline: admitted('inline'), onRead: admitted('on-read') },
    };
    kept.push({ counters, snapshot });
    if (kept.length > KEEP) kept.shift();
    for (const listener of listeners) listener(snapshot);
  }

  // One reading at a time: while Redis hangs, readings must not pile up and land out of order.
  let inFlight = false;
  const sampleUnlessInFlight = () => {
    if (inFlight) return;
    inFlight = true;
    void sample().finally(() => (inFlight = false));
  };
  sampleUnlessInFlight();
  const timer = setInterval(sampleUnlessInFlight, intervalMs);
  timer.unref();

  return {
    rate(counter, windowS = 10) {
      const last = kept[kept.length - 1];
      if (!last) return null;
      const first = kept.find((s) => s.snapshot.t >= last.snapshot.t - windowS * 1000) ?? kept[0]!;
      if (first === last) return null;
      return ((last.counters[counter] ?? 0) - (first.counters[counter] ?? 0)) / ((last.snapshot.t - first.snapshot.t) / 1000);
    },
    history: () => kept.map((s) => s.snapshot),
    onSnapshot: (listener) => void listeners.push(listener),
    stop: () => clearInterval(timer),
  };
}
