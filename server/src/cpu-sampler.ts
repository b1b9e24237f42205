import type { DashboardSnapshot } from '@ripple/shared';
import { processNumbers, readProcessCpu, readRedisCpu, type ProcessWork, type RedisClient } from '@ripple/shared/node';

type CpuUse = DashboardSnapshot['cpu'][number];

interface Reading {
  role: CpuUse['role'];
  name: string;
  seconds: number;
  at: number;
  work?: ProcessWork;
}

/** A worker's activity between two readings. */
type Activity = Pick<CpuUse, 'entriesPerSecond' | 'deliveriesPerSecond'>;

const perSecond = (now: number, before: number, seconds: number): number => Math.round((Math.max(0, now - before) / seconds) * 10) / 10;

/**
 * Cores each process kept busy, for the dashboard: from the CPU time every server and worker
 * publishes and Redis's INFO cpu; and each worker's activity, from the work it publishes with
 * it. Processes are numbered per role (`server 1`, `worker 2`, `redis 1`; processNumbers, as a
 * job's journey names its workers): the dashboard is open to anyone, and host names, pids and
 * Redis addresses are not theirs to see; /metrics keeps the real names.
 */
export function createCpuSampler(redis: RedisClient): { sample(): Promise<CpuUse[]> } {
  /** Per process, the reading a rate is taken from, and the last rate. */
  const baseline = new Map<string, Reading>();
  const lastCores = new Map<string, number>();
  const lastActivity = new Map<string, Activity>();

  async function readAll(): Promise<Map<string, Reading>> {
    const now = Date.now();
    const [processes, redisNodes] = await Promise.all([readProcessCpu(redis, now), readRedisCpu(redis)]);
    const all = new Map<string, Reading>();
    for (const p of processes) all.set(`${p.role}:${p.name}`, { role: p.role, name: p.name, seconds: p.cpuSeconds, at: p.at, work: p.work });
    for (const r of redisNodes) all.set(`redis:${r.node}`, { role: 'redis', name: r.node, seconds: r.cpuSeconds, at: now });
    return all;
  }

  return {
    /** Never throws: a Redis that does not answer (a master down on a cluster) leaves the table empty for that second. */
    async sample() {
      const now = await readAll().catch(() => null);
      if (!now) return [];
      for (const key of [...baseline.keys()]) {
        if (now.has(key)) continue;
        baseline.delete(key);
        lastCores.delete(key);
        lastActivity.delete(key);
      }
      for (const [key, reading] of now) {
        const was = baseline.get(key);
        // A process publishes about once a second, as often as this runs: a sample that finds
        // the same report keeps the last rate rather than dropping the row for a second.
        if (was && reading.at <= was.at) continue;
        const seconds = was ? (reading.at - was.at) / 1000 : 0;
        if (was && Number.isFinite(reading.seconds - was.seconds)) {
          lastCores.set(key, Math.round((Math.max(0, reading.seconds - was.seconds) / seconds) * 1000) / 1000);
        }
        if (was?.work && reading.work) {
          lastActivity.set(key, {
            entriesPerSecond: perSecond(reading.work.entries, was.work.entries, seconds),
            deliveriesPerSecond: perSecond(reading.work.deliveries, was.work.deliveries, seconds),
          });
        }
        baseline.set(key, reading);
      }
      const numbers = processNumbers([...baseline.values()]);
      const rows = [...lastCores].map(([key, cores]): CpuUse => ({
        role: baseline.get(key)!.role,
        process: numbers.get(key)!,
        cores,
        ...lastActivity.get(key),
      }));
      return rows.sort((a, b) => a.role.localeCompare(b.role) || Number(a.process) - Number(b.process));
    },
  };
}
