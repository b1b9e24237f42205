import type { Job } from '@ripple/shared';
import { progressOf, withJob } from './job-progress';
import { entryTweetId } from './timeline-selectors';
import type { TimelineEntry, TimelineState, TweetDeletion } from './timeline-state';

/**
 * Delete pressed: the tweet leaves the screen at once (optimistically), and is kept aside in
 * its deletion to come back if the request fails.
 */
export function deletionStarted(state: TimelineState, tweetId: string): TimelineState {
  const entry = state.entries.find((e) => entryTweetId(e) === tweetId);
  if (!entry) return state;
  const deletion: TweetDeletion = { tweetId, entry, send: 'sending', error: null, jobId: null };
  return {
    ...state,
    entries: state.entries.filter((e) => e !== entry),
    deletions: [deletion, ...state.deletions.filter((d) => d.tweetId !== tweetId)],
  };
}

/** The server took the delete: the tweet is gone for good, and its job's progress is followed like a post's. */
export function deletionAccepted(state: TimelineState, tweetId: string, job: Job): TimelineState {
  const deletions = state.deletions.map((d) => (d.tweetId === tweetId && d.send === 'sending' ? { ...d, send: 'accepted' as const, jobId: job.id } : d));
  return withJob(tweetGone({ ...state, deletions }, tweetId), progressOf(job));
}

/** The delete failed: undo, the tweet comes back where it was, with the reason. */
export function deletionFailed(state: TimelineState, tweetId: string, error: string): TimelineState {
  const deletion = state.deletions.find((d) => d.tweetId === tweetId && d.send === 'sending');
  if (!deletion) return state;
  return {
    ...state,
    entries: insertByTweetId(state.entries, deletion.entry),
    deletions: state.deletions.map((d) => (d === deletion ? { ...d, send: 'failed' as const, error } : d)),
  };
}

/** A tweet deleted (by this page, another tab, or the author of a tweet we follow) leaves the timeline and stays out. */
export function tweetGone(state: TimelineState, tweetId: string): TimelineState {
  const entries = state.entries.filter((e) => entryTweetId(e) !== tweetId);
  const gone = state.gone.includes(tweetId) ? state.gone : [...state.gone, tweetId];
  return { ...state, entries: entries.length === state.entries.length ? state.entries : entries, gone };
}

/** Ids that no page or event may bring back: deleted, or being deleted. */
export function hiddenTweetIds(state: TimelineState): Set<string> {
  return new Set([...state.gone, ...state.deletions.filter((d) => d.send !== 'failed').map((d) => d.tweetId)]);
}

/** Why the last delete of this tweet failed, if it did. */
export function deleteErrorOf(state: Pick<TimelineState, 'deletions'>, tweetId: string | null): string | null {
  if (tweetId === null) return null;
  return state.deletions.find((d) => d.tweetId === tweetId)?.error ?? null;
}

/** Puts an entry back among the others by its tweet id (ids sort in creation order), behind any still sending. */
function insertByTweetId(entries: TimelineEntry[], entry: TimelineEntry): TimelineEntry[] {
  const id = entryTweetId(entry);
  const at = entries.findIndex((e) => {
    const other = entryTweetId(e);
    return other !== null && id !== null && other < id;
  });
  return at === -1 ? [...entries, entry] : [...entries.slice(0, at), entry, ...entries.slice(at)];
}
