import type { JobDelivery } from '@ripple/shared';
import type { JobProgress, OwnPost, PendingRetry } from './timeline-state';

export type DeliveryStatus = 'sending' | 'retrying' | 'scheduled' | 'queued' | 'delivering' | 'delivered' | 'failed';

export interface Delivery {
  status: DeliveryStatus;
  delivered: number;
  total: number;
  /** Why it failed; null unless `status` is 'failed'. */
  reason: string | null;
  /** What the next try waits for; null unless `status` is 'retrying'. */
  retry: PendingRetry | null;
  /** Which way the tweet travels and the on-read threshold it was judged by, once a job record said. */
  route: { delivery: JobDelivery; onReadThreshold: number | null } | null;
  /** Inactive followers left out (INACTIVE_AFTER_DAYS). */
  skipped: number;
}

/** What the status line under an own tweet says. */
export function deliveryOf(post: OwnPost, jobs: Record<string, JobProgress>): Delivery {
  const none = { delivered: 0, total: 0, reason: null, retry: null, route: null, skipped: 0 };
  if (post.send === 'sending') {
    return post.retry === null ? { ...none, status: 'sending' } : { ...none, status: 'retrying', retry: post.retry };
  }
  if (post.send === 'failed') return { ...none, status: 'failed', reason: post.sendError };
  const job = post.jobId === null ? undefined : jobs[post.jobId];
  if (!job) return { ...none, status: 'queued' };
  const route = job.delivery ? { delivery: job.delivery, onReadThreshold: job.onReadThreshold ?? null } : null;
  const base = { delivered: job.delivered, total: job.total, reason: null, retry: null, route, skipped: job.skipped ?? 0 };
  switch (job.status) {
    case 'scheduled':
      return { ...base, status: 'scheduled' };
    case 'queued':
      return { ...base, status: 'queued' };
    case 'running':
      return { ...base, status: 'delivering' };
    case 'done':
      return { ...base, status: 'delivered' };
    case 'failed':
      return { ...base, status: 'failed', reason: job.error ?? 'Delivery failed.' };
  }
}

/**
 * A retry of a send that never got an answer reuses its key: the server may have accepted it.
 * A tweet that was accepted but whose delivery failed is posted anew, with a new key, because
 * the old key would only answer the failed job again.
 */
export function retryNeedsNewKey(post: OwnPost): boolean {
  return post.tweet !== null;
}
