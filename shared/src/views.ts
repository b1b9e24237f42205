import { tweetIdFromSeq, type Job, type JobStatus, type Tweet } from './schemas.js';

/** A Redis hash as node-redis returns it. */
export type StoredHash = Record<string, string>;

const isoOrNull = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);

/** Each chunk of a job records its own tries as `attempt:<chunk>`; the job shows the most. */
function attemptsOf(stored: StoredHash): number {
  let most = 0;
  for (const [field, value] of Object.entries(stored)) {
    if (field.startsWith('attempt:')) most = Math.max(most, Number(value));
  }
  return most;
}

/** The API's Tweet from a stored tweet hash; null when the hash is empty (no such tweet). */
export function tweetView(stored: StoredHash): Tweet | null {
  if (!stored.id) return null;
  return {
    id: tweetIdFromSeq(stored.id),
    text: stored.text ?? '',
    createdAt: new Date(Number(stored.createdAt)).toISOString(),
    author: { id: stored.authorId ?? '', handle: stored.authorHandle ?? '' },
  };
}

/** The API's Job from a stored job hash; null when the hash is empty (no such job). */
export function jobView(stored: StoredHash): Job | null {
  if (!stored.id) return null;
  return {
    id: stored.id,
    tweetId: tweetIdFromSeq(stored.tweetSeq ?? '0'),
    status: (stored.status ?? 'queued') as JobStatus,
    delivered: Number(stored.delivered ?? 0),
    total: Number(stored.total ?? 0),
    attempts: attemptsOf(stored),
    enqueuedAt: isoOrNull(stored.enqueuedAt) ?? new Date(0).toISOString(),
    startedAt: isoOrNull(stored.startedAt),
    finishedAt: isoOrNull(stored.finishedAt),
    error: stored.error ? stored.error : null,
  };
}
