import type { JobDelivery, JobStatus, Tweet } from '@ripple/shared';

/** What the client knows of one fan-out job, merged from the 202 answer and socket events. */
export interface JobProgress {
  jobId: string;
  status: JobStatus;
  delivered: number;
  total: number;
  error: string | null;
  /** How the tweet travels, and the on-read threshold it was judged by: only job records (a 202, a re-read) say. */
  delivery?: JobDelivery | undefined;
  onReadThreshold?: number | undefined;
  /** Inactive followers left out (INACTIVE_AFTER_DAYS): a job record or fanout:done says. */
  skipped?: number | undefined;
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
  /**
   * The server refused this send with a 4xx that sending again cannot fix (the text is invalid,
   * say): the post leaves the outbox, though it stays on screen until retried or discarded.
   */
  refusedForGood: boolean;
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

/** A delete of one of the user's own tweets, from the moment Delete is pressed. */
export interface TweetDeletion {
  tweetId: string;
  /** The entry as it was shown: it comes back if the delete fails. */
  entry: TimelineEntry;
  send: 'sending' | 'accepted' | 'failed';
  /** Why the DELETE failed; null unless `send` is 'failed'. */
  error: string | null;
  /** The delete job, once the 202 arrived; its progress is in `jobs` like a post's. */
  jobId: string | null;
}

export interface TimelineState {
  /** Newest first. */
  entries: TimelineEntry[];
  /** The user's deletes on this page, newest first. */
  deletions: TweetDeletion[];
  /** Tweets known to be deleted: no page or event may show them again. */
  gone: string[];
  /**
   * Keyed by job id, whether or not the 202 that names the job has been seen yet: socket
   * events can outrun the HTTP answer, and are kept here until it arrives.
   */
  jobs: Record<string, JobProgress>;
  /** Pass as `before` to load older tweets; null when there are none. */
  nextBefore: string | null;
  /** The first page has been loaded once. */
  loaded: boolean;
  /** An older page has been asked for and has not come back yet. */
  loadingOlder: boolean;
  /** Why the last page load failed; null when it did not. */
  loadError: string | null;
  /** The user's tweets waiting for their `publishAt`, soonest first; each leaves when published or cancelled. */
  scheduled: Tweet[];
  /** Why the last scheduling or cancelling failed; null when it did not. */
  scheduleError: string | null;
}

export const initialTimelineState: TimelineState = {
  entries: [],
  deletions: [],
  gone: [],
  jobs: {},
  nextBefore: null,
  loaded: false,
  loadingOlder: false,
  loadError: null,
  scheduled: [],
  scheduleError: null,
};
