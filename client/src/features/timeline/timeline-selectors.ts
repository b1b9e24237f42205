import type { TimelineEntry, TimelineState } from './timeline-state';

/** The server tweet id an entry stands for, or null while its POST has no answer. */
export function entryTweetId(entry: TimelineEntry): string | null {
  return entry.kind === 'tweet' ? entry.tweet.id : entry.post.tweet?.id ?? null;
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
