import type { Job, JobStatus } from '@ripple/shared';
import type { JobProgress, TimelineState } from './timeline-state';

/** Terminal states outrank live ones, and done outranks failed: a done event always wins. A scheduled job is queued once published. */
const STATUS_RANK: Record<JobStatus, number> = { scheduled: 0, queued: 1, running: 2, failed: 3, done: 4 };

/**
 * Merges two views of one job, in whichever order they arrived: the furthest status wins and
 * delivered counts only grow (the total only shrinks: totalOf), so a late or repeated event can
 * never move a job backwards.
 */
export function mergeJob(known: JobProgress | undefined, next: JobProgress): JobProgress {
  if (!known) return next;
  const status = STATUS_RANK[next.status] > STATUS_RANK[known.status] ? next.status : known.status;
  return {
    jobId: known.jobId,
    status,
    delivered: Math.max(known.delivered, next.delivered),
    total: totalOf(known, next),
    error: status === 'failed' ? (next.error ?? known.error) : null,
    delivery: next.delivery ?? known.delivery,
    onReadThreshold: next.onReadThreshold ?? known.onReadThreshold,
    skipped: Math.max(known.skipped ?? 0, next.skipped ?? 0),
  };
}

/**
 * A job's total only comes down once it is fixed (followers left out as inactive come off it as
 * its pages report them, INACTIVE_AFTER_DAYS), so the smaller of two views is the later one; a
 * finished job's total is final. Only a scheduled job has none yet: its total is its audience at
 * publication.
 */
function totalOf(known: JobProgress, next: JobProgress): number {
  if (known.status === 'done') return known.total;
  if (next.status === 'done') return next.total;
  if (known.status === 'scheduled') return next.total;
  if (next.status === 'scheduled') return known.total;
  return Math.min(known.total, next.total);
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
