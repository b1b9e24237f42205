/**
 * The bench's HTTP and socket side: posts with a bound on the wait, job reads, and a watcher
 * that never misses an author's `fanout:done`.
 */
import type { FanoutDone, Job, PostTweetResponse } from '@ripple/shared';
import type { ClientSocket } from '../../test/support/http-api.js';

/** The contract: every request answers within this, failover or not. */
export const REQUEST_BOUND_MS = 10_000;

export const uniqueHandle = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 20);

export interface TimedPost {
  status: number;
  ms: number;
  body: Partial<PostTweetResponse> & { error?: { code: string } };
}

/** POST /api/tweets with a bound on the wait; a request that fails without an answer is status 0. */
export async function timedPost(base: string, token: string, text: string, timeoutMs = REQUEST_BOUND_MS + 5_000): Promise<TimedPost> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/tweets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as TimedPost['body'];
    return { status: res.status, ms: performance.now() - started, body };
  } catch {
    return { status: 0, ms: performance.now() - started, body: {} };
  }
}

export async function readJob(base: string, token: string, jobId: string): Promise<Job | null> {
  try {
    const res = await fetch(`${base}/api/jobs/${jobId}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
    return res.ok ? ((await res.json()) as { job: Job }).job : null;
  } catch {
    return null;
  }
}

/** Collects `fanout:done` (and `fanout:failed`) on an author's socket, so a waiter never misses one. */
export function doneWatcher(socket: ClientSocket) {
  const seen = new Map<string, FanoutDone | Error>();
  const waiters = new Map<string, (value: FanoutDone | Error) => void>();
  const settle = (jobId: string, value: FanoutDone | Error) => {
    seen.set(jobId, value);
    waiters.get(jobId)?.(value);
  };
  socket.on('fanout:done', (done) => settle(done.jobId, done));
  socket.on('fanout:failed', (failed) => settle(failed.jobId, new Error(`job ${failed.jobId} failed: ${failed.error}`)));
  return {
    wait(jobId: string, timeoutMs: number): Promise<FanoutDone> {
      return new Promise((resolve, reject) => {
        const finish = (value: FanoutDone | Error) => {
          clearTimeout(timer);
          waiters.delete(jobId);
          if (value instanceof Error) reject(value);
          else resolve(value);
        };
        const timer = setTimeout(() => finish(new Error(`no fanout:done for job ${jobId} within ${timeoutMs} ms`)), timeoutMs);
        const already = seen.get(jobId);
        if (already) finish(already);
        else waiters.set(jobId, finish);
      });
    },
  };
}
