import { describe, expect, it } from 'vitest';
import { cpuCost, formatCpuCost, parseCpuReading } from './cpu-cost.js';

const metrics = (server: number, workerA: number, workerB: number | null, redis: number, forks: number, reportedAt = 0) =>
  [
    '# TYPE ripple_process_cpu_seconds_total counter',
    `ripple_process_cpu_seconds_total{role="server",process="box:101"} ${server}`,
    `ripple_process_cpu_reported_at_seconds{role="server",process="box:101"} ${reportedAt}`,
    `ripple_process_cpu_seconds_total{role="worker",process="worker-a"} ${workerA}`,
    ...(workerB === null ? [] : [`ripple_process_cpu_seconds_total{role="worker",process="worker-b"} ${workerB}`]),
    `ripple_redis_cpu_seconds_total{node="redis",part="main"} ${redis}`,
    `ripple_redis_cpu_seconds_total{node="redis",part="children"} ${forks}`,
    'ripple_deliveries_total 5',
  ].join('\n');

describe('cpu cost per tweet', () => {
  it('divides what each part used between two readings by the tweets accepted', () => {
    const start = parseCpuReading(metrics(10, 4, null, 20, 0), 1, 0)!;
    const end = parseCpuReading(metrics(11, 4.5, 0.5, 21, 0.2), 1.4, 2000)!;
    const cost = cpuCost(start, end, 1000);
    expect(cost.perTweetMs).toEqual({ server: 1, workers: 1, redis: 1, redisForks: 0.2, total: 3.2, loadGenerator: 0.4 });
    expect(cost.cores).toEqual({ server: 0.5, workers: 0.5, redis: 0.5, redisForks: 0.1, loadGenerator: 0.2 });
    expect(cost.processes).toEqual({ server: 1, worker: 2 });
    expect(formatCpuCost(cost)).toContain('total       3.200 ms');
  });

  it("takes a process's rate over its own reports, which can each be up to a second old", () => {
    // The server's two reports are 1.6 s apart within the 2 s window: 0.8 s of CPU in 1.6 s is 1 s over 2 s.
    const start = parseCpuReading(metrics(10, 4, null, 20, 0, 100.2), 0, 100_000)!;
    const end = parseCpuReading(metrics(10.8, 4, null, 20, 0, 101.8), 0, 102_000)!;
    expect(cpuCost(start, end, 1000).perTweetMs.server).toBe(1);
  });

  it('counts a process that restarted under the same name from 0', () => {
    const start = parseCpuReading(metrics(10, 4, null, 20, 0), 0, 0)!;
    const end = parseCpuReading(metrics(0.5, 4, null, 20, 0), 0, 2000)!;
    expect(cpuCost(start, end, 1000).perTweetMs.server).toBe(0.5);
  });

  it('is null for a server that does not publish CPU, and zero per tweet with no tweets', () => {
    expect(parseCpuReading('ripple_deliveries_total 5\n', 0, 0)).toBeNull();
    const reading = parseCpuReading(metrics(1, 1, 1, 1, 0), 0, 0)!;
    expect(cpuCost(reading, reading, 0).perTweetMs.total).toBe(0);
  });
});
