import type { PendingPost } from './outbox-store';
import type { OwnPost, TimelineEntry, TimelineState } from './timeline-state';

/** The server tweet id an entry stands for, or null while its POST has no answer. */
export function entryTweetId(entry: TimelineEntry): string | null {
  return entry.kind === 'tweet' ? entry.tweet.id : (entry.post.tweet?.id ?? null);
}

/** The stable React key and, while sending, the `data-tweet-id` of an entry. */
export function entryKey(entry: TimelineEntry): string {
  return entry.kind === 'tweet' ? entry.tweet.id : entry.post.localId;
}

export function knownTweetIds(entries: TimelineEntry[]): Set<string> {
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = entryTweetId(entry);
    if (id !== null) ids.add(id);
  }
  return ids;
}

/** Own jobs whose fan-out is not over, as far as this page knows: what a reconnect re-reads. */
export function unfinishedJobIds(state: TimelineState): string[] {
  return state.entries.flatMap((entry) => {
    if (entry.kind !== 'own' || entry.post.jobId === null) return [];
    const job = state.jobs[entry.post.jobId];
    return job === undefined || job.status === 'queued' || job.status === 'running' ? [entry.post.jobId] : [];
  });
}

/** The own post with this localId, or undefined once it is discarded. */
export function ownPostOf(state: TimelineState, localId: string): OwnPost | undefined {
  for (const entry of state.entries) if (entry.kind === 'own' && entry.post.localId === localId) return entry.post;
  return undefined;
}

/** Own posts that should have a send under way: what a mount sends (again). */
export function sendingPosts(state: TimelineState): PendingPost[] {
  return state.entries.flatMap((entry) => (entry.kind === 'own' && entry.post.send === 'sending' ? [pendingPostOf(entry.post)] : []));
}

/**
 * What the outbox holds: every own post the server has not accepted, oldest first, save those
 * it refused for good. A post that failed only for want of an answer (or of patience) stays,
 * and goes out again on the next visit.
 */
export function outboxPosts(entries: TimelineEntry[]): PendingPost[] {
  return entries.flatMap((entry) => (entry.kind === 'own' && awaitsAcceptance(entry.post) ? [pendingPostOf(entry.post)] : [])).reverse();
}

function awaitsAcceptance(post: OwnPost): boolean {
  return post.send === 'sending' || (post.send === 'failed' && !post.refusedForGood);
}

function pendingPostOf({ localId, text, idempotencyKey, createdAt }: OwnPost): PendingPost {
  return { localId, text, idempotencyKey, createdAt };
}
