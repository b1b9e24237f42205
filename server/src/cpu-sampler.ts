import type { DashboardSnapshot } from '@ripple/shared';
import { readProcessCpu, readRedisCpu, type RedisClient } from '@ripple/shared/node';

type CpuUse = DashboardSnapshot['cpu'][number];

interface Reading {
  role: CpuUse['role'];
  seconds: number;
  at: number;
}

/**
 * Cores each process kept busy, for the dashboard: from the CPU time every server and worker
 * publishes and Redis's INFO cpu. Processes are numbered per role (`server 1`, `worker 2`,
 * `redis 1`): the dashboard is open to anyone, and host names, pids and Redis addresses are
 * not theirs to see; /metrics keeps the real names.
 */
export function createCpuSampler(redis: RedisClient): { sample(): Promise<CpuUse[]> } {
  /** Per process, the reading a rate is taken from, and the last rate. */
  const baseline = new Map<string, Reading>();
  const lastCores = new Map<string, number>();

  async function readAll(): Promise<Map<string, Reading>> {
    const now = Date.now();
    const [processes, redisNodes] = await Promise.all([readProcessCpu(redis, now), readRedisCpu(redis)]);
    const all = new Map<string, Reading>();
    for (const p of processes) all.set(`${p.role}:${p.name}`, { role: p.role, seconds: p.cpuSeconds, at: p.at });
    for (const r of redisNodes) all.set(`redis:${r.node}`, { role: 'redis', seconds: r.cpuSeconds, at: now });
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
      }
      for (const [key, reading] of now) {
        const was = baseline.get(key);
        // A process publishes about once a second, as often as this runs: a sample that finds
        // the same report keeps the last rate rather than dropping the row for a second.
        if (was && reading.at <= was.at) continue;
        if (was && Number.isFinite(reading.seconds - was.seconds)) {
          lastCores.set(key, Math.round((Math.max(0, reading.seconds - was.seconds) / ((reading.at - was.at) / 1000)) * 1000) / 1000);
        }
        baseline.set(key, reading);
      }
      const rows = [...lastCores].map(([key, cores]) => ({ key, role: baseline.get(key)!.role, cores }));
      rows.sort((a, b) => a.role.localeCompare(b.role) || a.key.localeCompare(b.key));
      const seen = new Map<string, number>();
      return rows.map(({ role, cores }) => {
        const n = (seen.get(role) ?? 0) + 1;
        seen.set(role, n);
        return { role, process: String(n), cores };
      });
    },
  };
}
