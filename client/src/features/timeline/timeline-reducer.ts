import type { FanoutDone, FanoutFailed, FanoutProgress, Job, JobStatus, Tweet, TweetPage } from '@ripple/shared';
import type { PendingPost } from './outbox-store';

/** What the client knows of one fan-out job, merged from the 202 answer and socket events. */
export interface JobProgress {
  jobId: string;
  status: JobStatus;
  delivered: number;
  total: number;
  error: string | null;
}

/** Why an own post waits before its next try: the server pushed back, or no answer came. */
export type RetryCause = 'busy' | 'offline' | 'no-answer';

export interface PendingRetry {
  cause: RetryCause;
  /** When the next try goes out (epoch ms); null while it waits for the browser to come back online. */
  at: number | null;
}

/** A tweet the user posted from this page (or an earlier visit), from the moment Post is pressed. */
export interface OwnPost {
  /** Client-made id; stays the React key when the server's tweet replaces the optimistic one. */
  localId: string;
  text: string;
  createdAt: string;
  /** Sent with every attempt of the same send, so a repeat never makes a second tweet. */
  idempotencyKey: string;
  send: 'sending' | 'accepted' | 'failed';
  /** Why the POST failed; null unless `send` is 'failed'. */
  sendError: string | null;
  /** Set while a 'sending' post waits between tries; null while a try is out. */
  retry: PendingRetry | null;
  /** The server's tweet, once the 202 arrived. */
  tweet: Tweet | null;
  jobId: string | null;
}

export type TimelineEntry =
  | { kind: 'own'; post: OwnPost }
  | {
      kind: 'tweet';
      tweet: Tweet;
      /** Arrived live (timeline:new), so it slides in. */
      arrived: boolean;
    };

export interface TimelineState {
  /** Newest first. */
  entries: TimelineEntry[];
  /**
   * Keyed by job id, whether or not the 202 that names the job has been seen yet: socket
   * events can outrun the HTTP answer, and are kept here until it arrives.
   */
  jobs: Record<string, JobProgress>;
  /** Pass as `before` to load older tweets; null when there are none. */
  nextBefore: string | null;
  /** The first page has been loaded once. */
  loaded: boolean;
}

export type TimelineAction =
  | { type: 'page-loaded'; page: TweetPage; position: 'newest' | 'older' }
  | { type: 'post-started'; localId: string; text: string; idempotencyKey: string; createdAt: string }
  | { type: 'posts-restored'; posts: PendingPost[] }
  | { type: 'post-waiting'; localId: string; retry: PendingRetry }
  | { type: 'post-sending'; localId: string }
  | { type: 'post-accepted'; localId: string; tweet: Tweet; job: Job }
  | { type: 'post-rejected'; localId: string; message: string }
  | { type: 'post-retried'; localId: string; idempotencyKey: string }
  | { type: 'post-discarded'; localId: string }
  | { type: 'fanout-progress'; event: FanoutProgress }
  | { type: 'fanout-done'; event: FanoutDone }
  | { type: 'fanout-failed'; event: FanoutFailed }
  | { type: 'job-loaded'; job: Job }
  | { type: 'tweet-arrived'; tweet: Tweet };

export const initialTimelineState: TimelineState = { entries: [], jobs: {}, nextBefore: null, loaded: false };

/** Terminal states outrank live ones, and done outranks failed: a done event always wins. */
const STATUS_RANK: Record<JobStatus, number> = { queued: 0, running: 1, failed: 2, done: 3 };

/**
 * Merges two views of one job, in whichever order they arrived: the furthest status wins and
 * counts only grow, so a late or repeated event can never move a job backwards.
 */
export function mergeJob(known: JobProgress | undefined, next: JobProgress): JobProgress {
  if (!known) return next;
  const status = STATUS_RANK[next.status] > STATUS_RANK[known.status] ? next.status : known.status;
  return {
    jobId: known.jobId,
    status,
    delivered: Math.max(known.delivered, next.delivered),
    total: Math.max(known.total, next.total),
    error: status === 'failed' ? (next.error ?? known.error) : null,
  };
}

/** The server tweet id an entry stands for, or null while its POST has no answer. */
export function entryTweetId(entry: TimelineEntry): string | null {
  return entry.kind === 'tweet' ? entry.tweet.id : entry.post.tweet?.id ?? null;
}

/** The stable React key and, while sending, the `data-tweet-id` of an entry. */
export function entryKey(entry: TimelineEntry): string {
  return entry.kind === 'tweet' ? entry.tweet.id : entry.post.localId;
}

export type DeliveryStatus = 'sending' | 'retrying' | 'queued' | 'delivering' | 'delivered' | 'failed';

export interface Delivery {
  status: DeliveryStatus;
  delivered: number;
  total: number;
  /** Why it failed; null unless `status` is 'failed'. */
  reason: string | null;
  /** What the next try waits for; null unless `status` is 'retrying'. */
  retry: PendingRetry | null;
}

/** What the status line under an own tweet says. */
export function deliveryOf(post: OwnPost, jobs: Record<string, JobProgress>): Delivery {
  const none = { delivered: 0, total: 0, reason: null, retry: null };
  if (post.send === 'sending') {
    return post.retry === null ? { ...none, status: 'sending' } : { ...none, status: 'retrying', retry: post.retry };
  }
  if (post.send === 'failed') return { ...none, status: 'failed', reason: post.sendError };
  const job = post.jobId === null ? undefined : jobs[post.jobId];
  if (!job) return { ...none, status: 'queued' };
  const base = { delivered: job.delivered, total: job.total, reason: null, retry: null };
  switch (job.status) {
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

function knownTweetIds(entries: TimelineEntry[]): Set<string> {
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = entryTweetId(entry);
    if (id !== null) ids.add(id);
  }
  return ids;
}

/**
 * Puts server tweets the timeline does not hold yet where their ids belong, without moving
 * anything already shown. Ids sort in creation order as strings; an entry without an id is
 * still sending, hence newer than anything the server knows.
 */
function mergeTweets(entries: TimelineEntry[], tweets: Tweet[]): TimelineEntry[] {
  const known = knownTweetIds(entries);
  const merged = [...entries];
  for (const tweet of tweets) {
    if (known.has(tweet.id)) continue;
    known.add(tweet.id);
    const at = merged.findIndex((entry) => {
      const id = entryTweetId(entry);
      return id !== null && id < tweet.id;
    });
    const entry: TimelineEntry = { kind: 'tweet', tweet, arrived: false };
    if (at === -1) merged.push(entry);
    else merged.splice(at, 0, entry);
  }
  return merged;
}

function sendingPost(post: PendingPost): OwnPost {
  return {
    localId: post.localId,
    text: post.text,
    createdAt: post.createdAt,
    idempotencyKey: post.idempotencyKey,
    send: 'sending',
    sendError: null,
    retry: null,
    tweet: null,
    jobId: null,
  };
}

/** Own jobs whose fan-out is not over, as far as this page knows: what a reconnect re-reads. */
export function unfinishedJobIds(state: TimelineState): string[] {
  return state.entries.flatMap((entry) => {
    if (entry.kind !== 'own' || entry.post.jobId === null) return [];
    const job = state.jobs[entry.post.jobId];
    return job === undefined || job.status === 'queued' || job.status === 'running' ? [entry.post.jobId] : [];
  });
}

function updatePost(state: TimelineState, localId: string, update: (post: OwnPost) => OwnPost): TimelineState {
  let changed = false;
  const entries = state.entries.map((entry): TimelineEntry => {
    if (entry.kind !== 'own' || entry.post.localId !== localId) return entry;
    const post = update(entry.post);
    if (post === entry.post) return entry;
    changed = true;
    return { kind: 'own', post };
  });
  return changed ? { ...state, entries } : state;
}

function applyJob(state: TimelineState, next: JobProgress): TimelineState {
  return { ...state, jobs: { ...state.jobs, [next.jobId]: mergeJob(state.jobs[next.jobId], next) } };
}

/** The home timeline and the delivery of the user's own tweets, as one pure state machine. */
export function timelineReducer(state: TimelineState, action: TimelineAction): TimelineState {
  switch (action.type) {
    case 'page-loaded': {
      const entries = mergeTweets(state.entries, action.page.tweets);
      // A refetch of the newest page (on reconnect) must not forget how far back we already read.
      const nextBefore = action.position === 'older' || !state.loaded ? action.page.nextBefore : state.nextBefore;
      return { ...state, entries, nextBefore, loaded: true };
    }

    case 'post-started':
      return { ...state, entries: [{ kind: 'own', post: sendingPost(action) }, ...state.entries] };

    case 'posts-restored': {
      // Restoring twice (React runs mount effects twice in development) must not show a post twice.
      const known = new Set(state.entries.flatMap((e) => (e.kind === 'own' ? [e.post.localId] : [])));
      const restored = action.posts
        .filter((p) => !known.has(p.localId))
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
        .map((p): TimelineEntry => ({ kind: 'own', post: sendingPost(p) }));
      return restored.length === 0 ? state : { ...state, entries: [...restored, ...state.entries] };
    }

    case 'post-waiting':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' ? { ...post, retry: action.retry } : post,
      );

    case 'post-sending':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' && post.retry !== null ? { ...post, retry: null } : post,
      );

    case 'post-accepted': {
      const { localId, tweet, job } = action;
      const target = state.entries.find((e) => e.kind === 'own' && e.post.localId === localId);
      if (!target || target.kind !== 'own' || target.post.send !== 'sending') return state;
      // The same tweet may already be shown from a refetch; the optimistic entry takes its place.
      const entries = state.entries.filter((e) => e.kind !== 'tweet' || e.tweet.id !== tweet.id);
      const accepted = updatePost({ ...state, entries }, localId, (post) => ({
        ...post,
        send: 'accepted',
        retry: null,
        tweet,
        jobId: job.id,
      }));
      return applyJob(accepted, {
        jobId: job.id,
        status: job.status,
        delivered: job.delivered,
        total: job.total,
        error: job.error,
      });
    }

    case 'post-rejected':
      return updatePost(state, action.localId, (post) =>
        post.send === 'sending' ? { ...post, send: 'failed', sendError: action.message, retry: null } : post,
      );

    case 'post-retried':
      return updatePost(state, action.localId, (post) => ({
        ...post,
        idempotencyKey: action.idempotencyKey,
        send: 'sending',
        sendError: null,
        retry: null,
        tweet: null,
        jobId: null,
      }));

    case 'post-discarded':
      return {
        ...state,
        entries: state.entries.filter((e) => e.kind !== 'own' || e.post.localId !== action.localId),
      };

    case 'fanout-progress': {
      const { jobId, delivered, total } = action.event;
      return applyJob(state, { jobId, status: 'running', delivered, total, error: null });
    }

    case 'fanout-done': {
      const { jobId, delivered, total } = action.event;
      return applyJob(state, { jobId, status: 'done', delivered, total, error: null });
    }

    case 'fanout-failed': {
      const { jobId, error } = action.event;
      return applyJob(state, { jobId, status: 'failed', delivered: 0, total: 0, error });
    }

    case 'job-loaded': {
      const { id: jobId, status, delivered, total, error } = action.job;
      return applyJob(state, { jobId, status, delivered, total, error });
    }

    case 'tweet-arrived': {
      if (knownTweetIds(state.entries).has(action.tweet.id)) return state;
      return { ...state, entries: [{ kind: 'tweet', tweet: action.tweet, arrived: true }, ...state.entries] };
    }
  }
}
