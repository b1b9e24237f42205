import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { keys, type DashboardSnapshot } from '@ripple/shared';
import { keysOf, processCpuValue, readProcessCpu, type RedisClient } from '@ripple/shared/node';
import { startStatsSampler } from '../server/src/stats-sampler.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { connectedClient } from './support/ripple.js';
import { watchDashboard } from './support/dashboard.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';

const started: { procs: RippleProcess[]; redis: TestRedis[]; clients: RedisClient[] } = { procs: [], redis: [], clients: [] };
afterEach(async () => {
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

/** The samples of one metric in Prometheus text, as `label=value,…` → value. */
function samples(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)$`, 'gm'))) found.set(m[1]!.replace(/"/g, ''), Number(m[2]));
  return found;
}

describe('CPU per process on /metrics (what the load test puts a cost on each part with)', () => {
  it("shows every running server's and worker's CPU and Redis's, and drops a worker once it stops", async () => {
    const redis = await startRedis();
    started.redis.push(redis);
    const server = await spawnServer(redis.url);
    const worker = await spawnWorker(redis.url);
    started.procs.push(server, worker);
    const reader = await connectedClient(redis.url);
    started.clients.push(reader);
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();

    await expect
      .poll(async () => [...samples(await metrics(), 'ripple_process_cpu_seconds_total').keys()].map((k) => k.split(',')[0]).sort(), { timeout: 10_000 })
      .toEqual(['role=server', 'role=worker']);
    const text = await metrics();
    for (const seconds of samples(text, 'ripple_process_cpu_seconds_total').values()) expect(seconds).toBeGreaterThan(0);
    const redisCpu = samples(text, 'ripple_redis_cpu_seconds_total');
    expect(redisCpu.get('node=redis,part=main')).toBeGreaterThan(0);
    expect(redisCpu.has('node=redis,part=children')).toBe(true);

    // Scrapes that overlap (a load test's sampler and its CPU reading) each show the published
    // value, never the sum of two.
    const published = async () => Math.max(...(await readProcessCpu(reader)).map((p) => p.cpuSeconds));
    const before = await published();
    const overlapping = await Promise.all(Array.from({ length: 8 }, metrics));
    const after = await published();
    for (const scraped of overlapping) {
      const highest = Math.max(...samples(scraped, 'ripple_process_cpu_seconds_total').values());
      expect(highest).toBeGreaterThanOrEqual(before);
      expect(highest).toBeLessThanOrEqual(after);
    }

    // The dashboard is open to anyone: it shows each process by number, never its host or address.
    const dashboard = watchDashboard(server.url);
    try {
      await expect
        .poll(async () => (await dashboard.next()).cpu.map((row) => `${row.role} ${row.process}`).sort(), { timeout: 10_000 })
        .toEqual(['redis 1', 'server 1', 'worker 1']);
    } finally {
      dashboard.close();
    }

    await worker.stop('SIGTERM');
    await expect
      .poll(async () => [...samples(await metrics(), 'ripple_process_cpu_seconds_total').keys()].map((k) => k.split(',')[0]), { timeout: 10_000 })
      .toEqual(['role=server']);
  });
});

describe("a worker's activity on the dashboard", () => {
  it('keeps the work reported while a second of stats could not be read, rather than losing it to that second', async () => {
    const redis = await startRedis();
    started.redis.push(redis);
    const client = await connectedClient(redis.url);
    started.clients.push(client);
    // A worker's reports, written at chosen times.
    const t0 = Date.now();
    const report = (atMs: number, deliveries: number) =>
      client.hSet(keys.processCpu, 'worker:w1', processCpuValue(1, atMs, { entries: deliveries > 0 ? 3 : 0, deliveries }));
    await report(t0, 0);
    const sampler = startStatsSampler(client, 100);
    try {
      const snapshots: DashboardSnapshot[] = [];
      sampler.onSnapshot((s) => snapshots.push(s));
      await expect.poll(() => snapshots.length).toBeGreaterThan(0);

      // The dead letters unreadable (a string where a stream should be): no second can be read whole.
      const deadLetters = keysOf(client).deadLetterStream(0);
      await client.set(deadLetters, 'not a stream');
      await delay(200); // for a reading begun before it to land
      const before = snapshots.length;
      await report(t0 + 1_000, 30_000);
      await delay(350);
      await report(t0 + 2_000, 30_000);
      await delay(350);
      expect(snapshots.length).toBe(before);

      await client.del(deadLetters);
      await expect.poll(() => snapshots.length).toBeGreaterThan(before);
      // 30 000 deliveries over the 2 s between the report read before and the one read now.
      expect(snapshots[before]!.cpu.find((row) => row.role === 'worker')).toMatchObject({ deliveriesPerSecond: 15_000, entriesPerSecond: 1.5 });
    } finally {
      sampler.stop();
    }
  });
});
