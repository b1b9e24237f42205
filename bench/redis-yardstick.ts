import { spawnSync } from 'node:child_process';

/**
 * Redis's own speed on this machine, as the yardstick for Ripple's fan-out: pipelined ZADDs
 * (`redis-benchmark -t zadd -P 128 -r 1000000`), the fastest a client can write small entries.
 * Runs against the given port and removes the key it wrote.
 */
export function redisZaddOpsPerSecond(port: number, requests = 2_000_000): number {
  const run = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'zadd', '-P', '128', '-r', '1000000', '-n', String(requests), '-q'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`redis-benchmark failed: ${run.stderr || run.error?.message}`);
  const match = /ZADD: ([\d.]+) requests per second/.exec(run.stdout);
  if (!match) throw new Error(`unexpected redis-benchmark output: ${run.stdout}`);
  spawnSync('redis-cli', ['-p', String(port), 'DEL', 'myzset'], { stdio: 'ignore' });
  return Math.round(Number(match[1]));
}
