import { readFile } from 'node:fs/promises';
import { keys, statsField } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog, readCounters, readDeadLetterCount } from '../../server/src/store/bucket-totals.js';
import type { Sample } from './memory-trend.js';
import type { SoakStack, StackProcess } from './soak-stack.js';

/** RSS of one life of one process: a new series starts at every restart. */
export interface RssSeries {
  /** Slot name, e.g. `worker-3`. */
  name: string;
  role: StackProcess['role'];
  kind: StackProcess['kind'];
  pid: number;
  /** MB, `t` in ms since posting started (negative during setup). */
  samples: Sample[];
}

/** The outstanding-work and housekeeping structures in Redis at one moment. */
export interface BookkeepingReading {
  /** ms since posting started. */
  t: number;
  /** Outstanding deliveries: the backlog counters of every bucket, summed. */
  backlog: number;
  /** Entries in the small and bulk fan-out lanes of every bucket. */
  laneEntries: number;
  /** Entries read by a worker and not yet acknowledged, every lane. */
  pending: number;
  /**
   * Consumers the groups remember, every lane (one per worker start in each lane it read from;
   * dead ones are forgotten).
   */
  consumers: number;
  /** Entries waiting for a retry, every bucket. */
  retries: number;
  /** Dead-lettered entries, every bucket. */
  deadLetters: number;
  /** The longest of the buckets' events streams, each trimmed to about EVENTS_MAX_LEN. */
  events: number;
  /** Workers with a heartbeat entry. */
  workers: number;
  /** Users marked online, every bucket. */
  online: number;
  /** Deliveries made since the data set began (`delivered` in the stats, summed over buckets): its slope is the drain rate. */
  delivered: number;
}

/** Resident set size of a process in MB, from /proc; null once it is gone. */
export async function readRssMb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** One reading of the bookkeeping; throws while Redis is down (the caller skips the sample). */
export async function readBookkeeping(redis: RedisClient, t: number): Promise<BookkeepingReading> {
  const k = keysOf(redis);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const perBucket = <T>(read: (b: number) => Promise<T>) => Promise.all(k.layout.all.map(read));
  const lanes = k.layout.all.flatMap((b) => Object.values(k.fanoutLanes(b)));
  const groups = await Promise.all(
    lanes.map(async (lane) => {
      // Before the first worker has created the group, the lane has no group to describe.
      const all = await redis.xInfoGroups(lane).catch(() => []);
      return all.find((g) => g.name === keys.fanoutGroup);
    }),
  );
  const [backlog, laneLengths, retries, deadLetters, events, workers, online, counters] = await Promise.all([
    readBacklog(redis),
    Promise.all(lanes.map((lane) => redis.xLen(lane))),
    perBucket((b) => redis.zCard(k.retrySchedule(b))),
    readDeadLetterCount(redis),
    perBucket((b) => redis.xLen(k.eventsStream(b))),
    redis.zCard(keys.workers),
    perBucket((b) => redis.zCard(k.online(b))),
    readCounters(redis),
  ]);
  return {
    t,
    backlog,
    laneEntries: sum(laneLengths),
    pending: groups.reduce((total, g) => total + Number(g?.pending ?? 0), 0),
    consumers: groups.reduce((total, g) => total + Number(g?.consumers ?? 0), 0),
    retries: sum(retries),
    deadLetters,
    events: Math.max(0, ...events),
    workers,
    online: sum(online),
    delivered: counters[statsField.delivered] ?? 0,
  };
}

/** What Redis says about its memory and its append-only file, for the report. */
export interface RedisInfo {
  usedMemoryMb: number;
  aofCurrentSizeMb: number;
  /** Writes Redis held back because the previous fsync was still running (a slow disk). */
  aofDelayedFsync: number;
  /** Append-only file rewrites since its last start. */
  aofRewrites: number;
}

/** Reads `INFO memory` and `INFO persistence`. */
export async function readRedisInfo(redis: RedisClient): Promise<RedisInfo> {
  const text = `${await redis.info('memory')}\n${await redis.info('persistence')}`;
  const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    usedMemoryMb: field('used_memory') / 2 ** 20,
    aofCurrentSizeMb: field('aof_current_size') / 2 ** 20,
    aofDelayedFsync: field('aof_delayed_fsync'),
    aofRewrites: field('aof_rewrites'),
  };
}

export interface Samplers {
  rss: RssSeries[];
  bookkeeping: BookkeepingReading[];
  /** The most recent bookkeeping reading, for the progress line. */
  latest(): BookkeepingReading | null;
  stop(): Promise<void>;
}

/**
 * Samples every process's RSS and Redis's bookkeeping every `intervalMs` until stopped.
 * `now()` gives ms since posting started.
 */
export function startSamplers(stack: SoakStack, redis: RedisClient, now: () => number, intervalMs = 2000): Samplers {
  const rss: RssSeries[] = [];
  const bookkeeping: BookkeepingReading[] = [];
  const seriesOf = (slot: StackProcess): RssSeries => {
    const pid = slot.proc.child.pid ?? -1;
    let series = rss.find((s) => s.name === slot.name && s.pid === pid);
    if (!series) rss.push((series = { name: slot.name, role: slot.role, kind: slot.kind, pid, samples: [] }));
    return series;
  };

  async function sampleOnce(): Promise<void> {
    const t = now();
    await Promise.all(
      [...stack.servers, ...stack.workers].map(async (slot) => {
        const series = seriesOf(slot);
        const mb = await readRssMb(series.pid);
        if (mb !== null) series.samples.push({ t, value: mb });
      }),
    );
    try {
      bookkeeping.push(await readBookkeeping(redis, t));
    } catch {
      // Redis is down (a fault) or restarting: this moment has no reading.
    }
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const sampleThenWait = () => {
    running = sampleOnce().finally(() => {
      if (!stopped) timer = setTimeout(sampleThenWait, intervalMs);
    });
  };
  sampleThenWait();
  return {
    rss,
    bookkeeping,
    latest: () => bookkeeping[bookkeeping.length - 1] ?? null,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
