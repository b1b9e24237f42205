/** The failover bench's bookkeeping: accepted tweets, and watchers that run while the client posts. */
import { setTimeout as delay } from 'node:timers/promises';
import { keysOf } from '@ripple/shared/node';
import type { signUp } from '../../test/support/users.js';
import { readJob, type TimedPost } from './bench-client.js';
import type { startEnv } from './bench-env.js';

export type Author = Awaited<ReturnType<typeof signUp>>;
export type Env = Awaited<ReturnType<typeof startEnv>>;

/** A tweet accepted during the run, and when (performance.now()) its job was seen finished. */
export interface Accepted {
  token: string;
  authorId: string;
  jobId: string;
  tweetId: string;
  acceptedAt: number;
  doneAt?: number;
  status?: string;
}

/** The accepted tweets, in order; `accept` records a post if it was accepted. */
export function acceptedLog() {
  const accepted: Accepted[] = [];
  const accept = (author: Author, r: TimedPost) => {
    if (r.status === 202 && r.body.job && r.body.tweet) {
      accepted.push({ token: author.token, authorId: author.user.id, jobId: r.body.job.id, tweetId: r.body.tweet.id, acceptedAt: performance.now() });
    }
  };
  return { accepted, accept };
}

/** Promotion: when a live master serves the job's slot again. */
export async function watchPromotion(env: Env, jobId: string, victimPort: number, killedAt: number) {
  while (performance.now() - killedAt < 60_000) {
    const owner = await env.cluster!.masterOf(keysOf(env.client).job(jobId)).catch(() => null);
    if (owner && owner.port !== victimPort) return { promotedAt: performance.now(), promotedPort: owner.port };
    await delay(25);
  }
  return { promotedAt: null, promotedPort: null };
}

/** The celebrity's jobs as the author sees them, every ~500 ms, until all are done or `stopped()`. */
export async function traceProgress(url: string, celebrity: Author, jobIds: string[], killedAt: number, stopped: () => boolean) {
  const progress: { ms: number; delivered: (number | null)[] }[] = [];
  while (!stopped() && performance.now() - killedAt < 180_000) {
    const jobs = await Promise.all(jobIds.map((id) => readJob(url, celebrity.token, id)));
    progress.push({ ms: Math.round(performance.now() - killedAt), delivered: jobs.map((j) => j?.delivered ?? null) });
    if (jobs.every((j) => j?.status === 'done')) break;
    await delay(500);
  }
  return progress;
}

/** Marks each accepted job when it is seen finished, until `stopped()` and all are (or 180 s). */
export async function watchJobs(url: string, accepted: Accepted[], killedAt: number, stopped: () => boolean) {
  while (!stopped() || accepted.some((a) => a.doneAt === undefined)) {
    for (const a of accepted.filter((x) => x.doneAt === undefined)) {
      const job = await readJob(url, a.token, a.jobId);
      if (job && (job.status === 'done' || job.status === 'failed')) {
        a.doneAt = performance.now();
        a.status = job.status;
      }
    }
    if (performance.now() - killedAt > 180_000) return;
    await delay(100);
  }
}
