import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import type { Server } from 'node:http';
import type { Job } from '@ripple/shared';

/** A server node under test: an in-process HTTP server (Supertest listens per request) or a base URL. */
export type Target = Server | string;

/** The job as its author sees it, or null while the server answers with an error (e.g. Redis down). */
export async function readJob(target: Target, token: string, jobId: string): Promise<Job | null> {
  const res = await request(target)
    .get(`/api/jobs/${jobId}`)
    .set('Authorization', `Bearer ${token}`)
    .catch(() => null);
  return res?.status === 200 ? (res.body as { job: Job }).job : null;
}

export interface WaitForJobOptions {
  /** @defaultValue 30 000 ms, well inside the integration project's 60 s test timeout */
  timeoutMs?: number;
  /** @defaultValue 50 ms */
  intervalMs?: number;
}

/**
 * Polls the job through the API until it has `status` (or meets the predicate), and returns it.
 * Polling state, not sleeping, is what keeps these tests independent of the machine's speed.
 */
export async function waitForJob(
  target: Target,
  token: string,
  jobId: string,
  until: Job['status'] | ((job: Job) => boolean) = 'done',
  { timeoutMs = 30_000, intervalMs = 50 }: WaitForJobOptions = {},
): Promise<Job> {
  const reached = typeof until === 'string' ? (job: Job) => job.status === until : until;
  const deadline = Date.now() + timeoutMs;
  let job: Job | null;
  for (;;) {
    job = await readJob(target, token, jobId);
    if (job !== null && reached(job)) return job;
    if (Date.now() >= deadline) break;
    await delay(intervalMs);
  }
  const wanted = typeof until === 'string' ? `status ${until}` : 'the expected state';
  throw new Error(`job ${jobId} did not reach ${wanted} within ${timeoutMs} ms; last seen: ${JSON.stringify(job)}`);
}

/** Waits until the job has delivered at least `atLeast` (e.g. to kill something mid-way). */
export const waitForDelivered = (target: Target, token: string, jobId: string, atLeast: number, options?: WaitForJobOptions) =>
  waitForJob(target, token, jobId, (job) => job.delivered >= atLeast, { intervalMs: 5, ...options });
