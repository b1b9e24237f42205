import type { ChildProcess } from 'node:child_process';

/**
 * Asks a child to stop with SIGTERM; one that has not exited after `graceMs` is killed. SIGTERM is
 * the polite signal for every process the scripts run: the server and workers shut down
 * gracefully on it, and redis-server flushes its append-only file before it exits.
 */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
