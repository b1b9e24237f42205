import { spawnSync } from 'node:child_process';

/** What a yardstick ran, exactly, so that a reader can run it too. */
export interface Yardstick {
  command: string;
  opsPerSecond: number;
}

function redisBenchmark(port: number, args: string[], label: RegExp): number {
  const run = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-q', ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`redis-benchmark failed: ${run.stderr || run.error?.message}`);
  const match = label.exec(run.stdout);
  if (!match) throw new Error(`unexpected redis-benchmark output: ${run.stdout}`);
  return Math.round(Number(match[1]));
}

/**
 * Pipelined ZADDs to random keys, the yardstick for Ripple's fan-out: a million keys, as a
 * fan-out writes a million timelines, from 50 clients with 128 commands in flight each, the
 * fastest a client can write small entries to many keys. Removes the keys it wrote (`tl:*`,
 * which no Ripple key starts with).
 */
export function randomKeyZaddPerSecond(port: number, requests = 2_000_000): Yardstick {
  const args = ['-c', '50', '-r', '1000000', '-n', String(requests), '-P', '128', 'ZADD', 'tl:__rand_int__', '__rand_int__', 't:__rand_int__'];
  const opsPerSecond = redisBenchmark(port, args, /ZADD tl:__rand_int__ __rand_int__ t:__rand_int__: ([\d.]+) requests per second/);
  unlinkMatching(port, 'tl:*');
  return { command: `redis-benchmark ${args.join(' ')}`, opsPerSecond };
}

/**
 * `redis-benchmark -t zadd`: one sorted set (`myzset`) growing to a million members, so every
 * ZADD pays a skiplist insert in a big set. It runs at about half the random-key speed and is
 * not what a fan-out does; reported beside it because an earlier issue named it.
 */
export function oneSetZaddPerSecond(port: number, requests = 2_000_000): Yardstick {
  const args = ['-t', 'zadd', '-P', '128', '-r', '1000000', '-n', String(requests)];
  const opsPerSecond = redisBenchmark(port, args, /ZADD: ([\d.]+) requests per second/);
  spawnSync('redis-cli', ['-p', String(port), 'DEL', 'myzset'], { stdio: 'ignore' });
  return { command: `redis-benchmark ${args.join(' ')}`, opsPerSecond };
}

function unlinkMatching(port: number, pattern: string): void {
  // redis-cli --scan streams the keys; UNLINK frees them off the main thread.
  const keys = spawnSync('redis-cli', ['-p', String(port), '--scan', '--pattern', pattern, '--count', '10000'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const list = keys.stdout.split('\n').filter(Boolean);
  for (let i = 0; i < list.length; i += 10_000) {
    spawnSync('redis-cli', ['-p', String(port), 'UNLINK', ...list.slice(i, i + 10_000)], { stdio: 'ignore' });
  }
}
