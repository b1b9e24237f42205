import { keys } from '../keys.js';
import type { RedisClient } from './redis-client.js';
import { clusterOf } from './ripple-redis.js';

export type ProcessRole = 'server' | 'worker';

/** What a worker has done since it started, published with its CPU time. */
export interface ProcessWork {
  /** Fan-out entries (a chunk, or a small tweet's few) it ran to their end. */
  entries: number;
  /** Follower deliveries those entries counted. */
  deliveries: number;
}

export interface ProcessCpuReading {
  role: ProcessRole;
  name: string;
  /** CPU time (user + system) the process has used since it started. */
  cpuSeconds: number;
  /** When the process read it (its own clock, ms). */
  at: number;
  /** A worker's work so far; absent for servers (and workers from before it was published). */
  work?: ProcessWork;
}

/**
 * Each process's number within its role (`role:name` → "2"), as the dashboard shows them: its
 * viewers see `worker 2`, never a host name or pid. Numbered in the order of their names, so
 * every reader of the same processes numbers them alike: the CPU table and a job's journey.
 */
export function processNumbers(processes: readonly { role: string; name: string }[]): Map<string, string> {
  const numbers = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const key of processes.map((p) => `${p.role}:${p.name}`).sort()) {
    const role = key.slice(0, key.indexOf(':'));
    const n = (counts.get(role) ?? 0) + 1;
    counts.set(role, n);
    numbers.set(key, String(n));
  }
  return numbers;
}

/**
 * A process that stopped reporting this long ago is gone: its field is removed when read. The
 * time is the writer's clock, compared with the reader's: hosts must agree within minutes.
 */
export const PROCESS_CPU_FORGET_MS = 5 * 60_000;

const cpuSecondsNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** A process's report as stored in its `keys.processCpu` field, which readProcessCpu reads back. */
export const processCpuValue = (cpuSeconds: number, at: number, work?: ProcessWork): string =>
  `${cpuSeconds} ${at}${work ? ` ${work.entries} ${work.deliveries}` : ''}`;

/**
 * Publishes this process's CPU time in Redis every `intervalMs`, so that a load test or the
 * dashboard can put a cost on each process, workers included, through any server's /metrics;
 * a worker adds its work so far (`work`), which the dashboard turns into its activity. One HSET
 * a second: nothing next to the work it measures. A failed write is simply retried at the next
 * interval.
 */
export function startProcessCpuReport(
  redis: RedisClient,
  role: ProcessRole,
  name: string,
  intervalMs = 1000,
  work?: () => ProcessWork,
): { stop(): Promise<void> } {
  const field = `${role}:${name}`;
  const write = () => redis.hSet(keys.processCpu, field, processCpuValue(cpuSecondsNow(), Date.now(), work?.())).catch(() => 0);
  void write();
  const timer = setInterval(() => void write(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.hDel(keys.processCpu, field).catch(() => 0);
    },
  };
}

/** Every process's last report; reports older than PROCESS_CPU_FORGET_MS are removed, not returned. */
export async function readProcessCpu(redis: RedisClient, now = Date.now()): Promise<ProcessCpuReading[]> {
  const stored = await redis.hGetAll(keys.processCpu);
  const readings: ProcessCpuReading[] = [];
  const gone: string[] = [];
  for (const [field, value] of Object.entries(stored)) {
    const split = field.indexOf(':');
    const role = field.slice(0, split);
    const [cpu, at, entries, deliveries] = value.split(' ').map(Number);
    if ((role !== 'server' && role !== 'worker') || !Number.isFinite(cpu) || !Number.isFinite(at)) continue;
    const work = Number.isFinite(entries) && Number.isFinite(deliveries) ? { work: { entries: entries!, deliveries: deliveries! } } : {};
    if (now - at! > PROCESS_CPU_FORGET_MS) gone.push(field);
    else readings.push({ role, name: field.slice(split + 1), cpuSeconds: cpu!, at: at!, ...work });
  }
  if (gone.length > 0) await redis.hDel(keys.processCpu, gone);
  return readings;
}

/** One Redis process's CPU time: its main thread and its forks (AOF rewrites, snapshots). */
export interface RedisCpuReading {
  node: string;
  cpuSeconds: number;
  childrenCpuSeconds: number;
}

const infoNumber = (info: string, field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);

function redisCpuFrom(node: string, info: string): RedisCpuReading {
  return {
    node,
    cpuSeconds: infoNumber(info, 'used_cpu_user') + infoNumber(info, 'used_cpu_sys'),
    childrenCpuSeconds: infoNumber(info, 'used_cpu_user_children') + infoNumber(info, 'used_cpu_sys_children'),
  };
}

/** INFO cpu of the one Redis, or of every master on a cluster (replicas' cost is the price of copies, not of tweets). */
export async function readRedisCpu(redis: RedisClient): Promise<RedisCpuReading[]> {
  const cluster = clusterOf(redis);
  if (!cluster) return [redisCpuFrom('redis', await redis.info('cpu'))];
  return Promise.all(
    cluster.masters.map(async (master) => redisCpuFrom(`${master.host}:${master.port}`, await (await cluster.nodeClient(master)).info('cpu'))),
  );
}
