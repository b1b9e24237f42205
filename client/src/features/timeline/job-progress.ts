import type { Job, JobStatus } from '@ripple/shared';
import type { JobProgress, TimelineState } from './timeline-state';

/** Terminal states outrank live ones, and done outranks failed: a done event always wins. A scheduled job is queued once published. */
const STATUS_RANK: Record<JobStatus, number> = { scheduled: 0, queued: 1, running: 2, failed: 3, done: 4 };

/**
 * Merges two views of one job, in whichever order they arrived: the furthest status wins and
 * counts only grow (but for the total a finished job settles on), so a late or repeated event
 * can never move a job backwards.
 */
export function mergeJob(known: JobProgress | undefined, next: JobProgress): JobProgress {
  if (!known) return next;
  const status = STATUS_RANK[next.status] > STATUS_RANK[known.status] ? next.status : known.status;
  return {
    jobId: known.jobId,
    status,
    delivered: Math.max(known.delivered, next.delivered),
    // A finished job's total is final, and may be below what it started with: followers left out
    // as inactive (or who unfollowed meanwhile) come off it.
    total: known.status === 'done' ? known.total : next.status === 'done' ? next.total : Math.max(known.total, next.total),
    error: status === 'failed' ? (next.error ?? known.error) : null,
    delivery: next.delivery ?? known.delivery,
    onReadThreshold: next.onReadThreshold ?? known.onReadThreshold,
    skipped: Math.max(known.skipped ?? 0, next.skipped ?? 0),
  };
}

/** The progress a job record from the server (a 202 or a re-read) reports. */
export function progressOf(job: Job): JobProgress {
  const { id: jobId, status, delivered, total, error, delivery, onReadThreshold, skipped } = job;
  // A scheduled job's way is decided when it is published (tweet:published says it), not before.
  return { jobId, status, delivered, total, error, delivery: status === 'scheduled' ? undefined : delivery, onReadThreshold, skipped };
}

/** The state with one more view of a job merged in. */
export function withJob(state: TimelineState, next: JobProgress): TimelineState {
  return { ...state, jobs: { ...state.jobs, [next.jobId]: mergeJob(state.jobs[next.jobId], next) } };
}
