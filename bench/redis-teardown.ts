/**
 * Stopping the bench's redis-servers without leaving anything behind. The harness
 * (test/support/redis-server.ts, redis-cluster.ts) SIGKILLs a redis-server and removes its
 * directory at once; but a redis-server SIGKILLed in the middle of an append-only file rewrite
 * leaves its forked child running, and the child keeps writing `temp-rewriteaof-bg-*.aof` into
 * that directory: the removal then fails with ENOTEMPTY (and the orphan keeps using CPU until its
 * rewrite is done). So: the forks are SIGKILLed too, and the removal retried.
 */
import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { childrenOf } from './process-cpu.js';

export async function stopRedisProcesses(stop: () => Promise<void>, redisPids: readonly number[], dirs: readonly string[]): Promise<void> {
  const forks = childrenOf(redisPids);
  let failure: { error: unknown } | undefined;
  try {
    await stop();
  } catch (err) {
    failure = { error: err };
  }
  // Children of our own redis-servers, seen before the stop or reparented since.
  for (const pid of [...forks, ...childrenOf(redisPids)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (failure === undefined) return;
  if ((failure.error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw failure.error;
  for (let attempt = 0; ; attempt++) {
    await delay(200);
    try {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      return;
    } catch (err) {
      if (attempt >= 25) throw err;
    }
  }
}
