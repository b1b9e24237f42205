import { jobAttempts, jobField, tweetField } from './records/index.js';
import { jobDeliverySchema, jobKindSchema, tweetIdFromSeq, type Job, type JobStatus, type Tweet } from './schemas.js';

/** A Redis hash as node-redis returns it. */
export type StoredHash = Record<string, string>;

const isoOrNull = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);

/** The API's Tweet from a stored tweet hash; null when there is no such tweet, or it is deleted (its tombstone is read here, by every read). */
export function tweetView(stored: StoredHash): Tweet | null {
  const id = stored[tweetField.id];
  if (!id || stored[tweetField.deletedAt]) return null;
  return {
    id: tweetIdFromSeq(id),
    text: stored[tweetField.text] ?? '',
    createdAt: new Date(Number(stored[tweetField.createdAt])).toISOString(),
    author: { id: stored[tweetField.authorId] ?? '', handle: stored[tweetField.authorHandle] ?? '' },
    ...(stored[tweetField.publishAt] ? { publishAt: new Date(Number(stored[tweetField.publishAt])).toISOString() } : {}),
  };
}

/** The API's Job from a stored job hash; null when the hash is empty (no such job). */
export function jobView(stored: StoredHash): Job | null {
  const id = stored[jobField.id];
  if (!id) return null;
  return {
    id,
    tweetId: tweetIdFromSeq(stored[jobField.tweetSeq] ?? '0'),
    kind: jobKindSchema.catch('post').parse(stored[jobField.kind]),
    delivery: jobDeliverySchema.catch('fan-out').parse(stored[jobField.delivery]),
    status: (stored[jobField.status] ?? 'queued') as JobStatus,
    delivered: Number(stored[jobField.delivered] ?? 0),
    total: Number(stored[jobField.total] ?? 0),
    skipped: Number(stored[jobField.skipped] ?? 0),
    attempts: jobAttempts(stored),
    enqueuedAt: isoOrNull(stored[jobField.enqueuedAt]) ?? new Date(0).toISOString(),
    startedAt: isoOrNull(stored[jobField.startedAt]),
    finishedAt: isoOrNull(stored[jobField.finishedAt]),
    error: stored[jobField.error] || null,
    ...(stored[jobField.onReadThreshold] ? { onReadThreshold: Number(stored[jobField.onReadThreshold]) } : {}),
  };
}
