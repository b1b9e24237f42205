/**
 * Every Redis key and stream name Ripple uses. Nothing else spells a key: server, worker,
 * Lua wrappers and tests all build names here, so a rename happens in one place.
 *
 * Keys that a script touches together carry the same bucket tag `{b<n>}`, so that on a Redis
 * Cluster they hash to one slot and the script runs on one master (docs/cluster-design.md).
 * A user's records and home timeline live in the user's bucket (`id mod buckets`); a tweet and
 * its job live in their author's bucket, which their ids encode the same way; an author's
 * followers are stored split by the *follower's* bucket, so the page that writes those
 * followers' timelines finds them in its own slot. Keys without a tag are read and written
 * alone.
 */
const P = 'ripple:';

/** Buckets on a single Redis: one, so every script sees the whole data set, as before clusters. */
export const SINGLE_REDIS_BUCKETS = 1;
/**
 * Buckets on a Redis Cluster: each a hash slot, spread over the masters. It bounds how many
 * masters one fan-out can use at once, and costs a small tweet one page script per bucket
 * that holds any of its followers; 16 serves up to 16 masters evenly enough. Changing it
 * re-homes every record, so it is fixed for a data set.
 */
export const CLUSTER_BUCKETS = 16;

/** The bucket tag: keys with the same tag share a hash slot. */
export const bucketTag = (bucket: number): string => `{b${bucket}}`;

/** How records are spread over buckets: `buckets` of them, an id's bucket being `id mod buckets`. */
export interface Layout {
  readonly buckets: number;
  /** Every bucket number, 0 … buckets − 1. */
  readonly all: readonly number[];
  /** The bucket of a user, tweet or job id. */
  bucketOf: (id: string | number) => number;
}

export function layoutOf(buckets: number): Layout {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`bucket count must be a positive integer, got ${buckets}`);
  return {
    buckets,
    all: Array.from({ length: buckets }, (_, b) => b),
    bucketOf: (id) => Number(BigInt(id) % BigInt(buckets)),
  };
}

/** The fan-out lanes of one bucket (see `fanoutLanes`). */
export type Lanes = { readonly small: string; readonly bulk: string };

/** Keys that belong to no bucket: each is only ever touched alone. */
const unbucketed = {
  /** Hash: lower-case handle → user id. HSETNX here is what makes sign-up race-free. */
  handles: `${P}handles`,
  /** Counter of user ids. */
  userSeq: `${P}seq:user`,
  /** Sorted set: worker consumer name → time of its last heartbeat (ms). */
  workers: `${P}workers`,
  /**
   * Hash: `<role>:<process name>` → "<CPU seconds since the process started> <ms when read>",
   * written by every server and worker (process-cpu.ts) so that one /metrics shows every process's cost.
   */
  processCpu: `${P}process-cpu`,
  /**
   * What rate-limiter-flexible puts before its own key (`<prefix>:<who>`): one counter per
   * limited party, each a single key (so on a cluster always in one slot), expiring with its window.
   */
  limiter: (name: string) => `${P}limit:${name}`,
  /**
   * Random value made once per data set and carried in every token: if Redis loses its data,
   * user ids start again from 1, and the new epoch keeps old tokens from naming new users.
   */
  tokenEpoch: `${P}token-epoch`,
  /**
   * Hash: the settings that every server and worker sharing this Redis must agree on
   * (TIMELINE_MAX, …), and which live processes hold them. Expires once no process refreshes
   * it; shared/src/node/agreed-settings.ts owns its fields.
   */
  agreedSettings: `${P}agreed-settings`,
  fanoutGroup: 'fanout-workers',
} as const;

/** Keys of one bucket: `b` is the bucket number. */
const inBucket = {
  /** Hash: the user; its fields are named in records/user-record.ts. */
  user: (b: number, id: string) => `${P}user:${bucketTag(b)}:${id}`,
  /** Set: ids this user follows. */
  following: (b: number, id: string) => `${P}following:${bucketTag(b)}:${id}`,
  /**
   * List of tweet ids, most recently delivered first: the user's home timeline. A list of
   * integers takes ~5 KB at 800 entries where a sorted set takes ~96 KB; order and exactly-once
   * come from elsewhere (readers sort by id; deliveries are cursor-guarded).
   */
  timeline: (b: number, id: string) => `${P}timeline:${bucketTag(b)}:${id}`,
  /** Sorted set of tweet ids: the user's own tweets. */
  userTweets: (b: number, id: string) => `${P}tweets-by:${bucketTag(b)}:${id}`,
  /** Hash: the tweet; its fields are named in records/tweet-record.ts. */
  tweet: (b: number, id: string) => `${P}tweet:${bucketTag(b)}:${id}`,
  /** Hash: the fan-out job's state; its fields are named in records/job-record.ts. */
  job: (b: number, id: string) => `${P}job:${bucketTag(b)}:${id}`,
  /** List: the steps of a job's journey, JSON, oldest first; records/journey-record.ts names their fields. Kept as long as the job. */
  journey: (b: number, id: string) => `${P}journey:${bucketTag(b)}:${id}`,
  /**
   * Counter of one user's requests of one kind (`name`, e.g. "tweets") in one fixed window. In
   * the user's bucket: admission counts a post in the same script that admits it.
   */
  rateLimit: (b: number, name: string, userId: string, window: number) => `${P}rate:${bucketTag(b)}:${name}:${userId}:${window}`,
  /** String "tweetId:jobId" for one user's Idempotency-Key, kept 24 h. */
  idempotency: (b: number, userId: string, key: string) => `${P}idem:${bucketTag(b)}:${userId}:${key}`,
  /**
   * Sorted set: the followers of `authorId` that live in bucket `b`, scored by the author's
   * follow sequence at the moment they followed (see `audience`).
   */
  followers: (b: number, authorId: string) => `${P}followers:${bucketTag(b)}:${authorId}`,
  /** Counter bumped by every change to `followers(b, authorId)`, so syncs of its size apply in order. */
  followersVersion: (b: number, authorId: string) => `${P}followers-v:${bucketTag(b)}:${authorId}`,
  /**
   * Hash in the author's bucket: the author's follow sequence (a follower's score), and per
   * follower bucket its follower count and the version that count was synced from. Admission
   * reads the audience of a tweet here, in its own slot; records/audience-record.ts names the fields.
   */
  audience: (b: number, authorId: string) => `${P}audience:${bucketTag(b)}:${authorId}`,
  /** Hash: the cursors of a job's chunks in bucket `b`; records/cursor-record.ts names the fields. */
  cursor: (b: number, jobId: string) => `${P}cursor:${bucketTag(b)}:${jobId}`,
  /** Counter behind the tweet ids of bucket `b` (see admit-tweet.lua). */
  tweetSeq: (b: number) => `${P}seq:tweet:${bucketTag(b)}`,
  /** Counter behind the job ids of bucket `b`. */
  jobSeq: (b: number) => `${P}seq:job:${bucketTag(b)}`,
  /**
   * Outstanding deliveries of the tweets that are not small (FANOUT_SMALL_AUDIENCE) whose
   * authors live in this bucket: admission adds a tweet's audience, its job's reports take off
   * what was delivered, its end the rest. Summed over buckets: what FANOUT_MAX_BACKLOG bounds.
   */
  backlog: (b: number) => `${P}backlog:${bucketTag(b)}`,
  /** As `backlog`, for small tweets: what FANOUT_MAX_SMALL_BACKLOG bounds. */
  smallBacklog: (b: number) => `${P}backlog-small:${bucketTag(b)}`,
  /**
   * Outstanding deliveries of one author's tweets, counted like `backlog`, deleted at 0: what
   * FANOUT_MAX_AUTHOR_BACKLOG bounds. In the author's bucket, so admission reads it exactly.
   */
  authorBacklog: (b: number, authorId: string) => `${P}backlog-author:${bucketTag(b)}:${authorId}`,
  /**
   * Hash of counters, summed over buckets for /metrics, the dashboard and the drain rate; its
   * fields are named in records/stats-record.ts.
   */
  stats: (b: number) => `${P}stats:${bucketTag(b)}`,
  /** Hash: fan-out duration histogram of the jobs finished in this bucket; fields in records/fanout-durations-record.ts. */
  fanoutDurations: (b: number) => `${P}stats:fanout-ms:${bucketTag(b)}`,
  /** List of "<finishedAtMs>:<durationMs>" of the most recent fan-outs finished in this bucket, newest first. */
  recentDurations: (b: number) => `${P}stats:recent-fanouts:${bucketTag(b)}`,
  /**
   * Sorted set: user id → until when (ms) they count as online, for the users of this bucket.
   * Server nodes keep re-asserting the users whose sockets they hold, so a crashed node's users
   * simply expire.
   */
  online: (b: number) => `${P}online:${bucketTag(b)}`,
  /**
   * Fan-out work of the jobs of this bucket in two lanes (streams) read by one consumer group:
   * `small` holds jobs of one entry, `bulk` the chunks of bigger audiences. Workers always
   * serve `small` first, so a tweet to a hundred followers never queues behind a celebrity's
   * million.
   */
  fanoutLanes: (b: number): Lanes => ({ small: `${P}fanout:small:${bucketTag(b)}`, bulk: `${P}fanout:bulk:${bucketTag(b)}` }),
  /**
   * Sorted set: the scheduled tweets of the authors of this bucket, tweet id scored by the ms
   * it is to be published at. Workers move what is due into the fan-out lanes (publish-scheduled.lua),
   * as they do with the retry schedule: removing a tweet from here is what publishes it once.
   */
  publishSchedule: (b: number) => `${P}publish-at:${bucketTag(b)}`,
  /**
   * Set: the authors of this bucket whose tweets went out on read (FANOUT_ON_READ_THRESHOLD),
   * added by the script that publishes such a tweet. A home timeline read merges the tweets of
   * those its reader follows. Small by nature (only accounts above the threshold), and never
   * emptied: an author's on-read tweets stay unwritten however their audience changes later.
   */
  onReadAuthors: (b: number) => `${P}on-read-authors:${bucketTag(b)}`,
  /**
   * Sorted set: user id → when they were last active (ms), for the users of this bucket: written
   * at sign-up and by authenticated requests (at most once per user every few minutes per node,
   * activity.ts). Delivery pages read it in the followers' bucket to skip those inactive for
   * INACTIVE_AFTER_DAYS; a user with no entry (a synthetic follower) counts as active.
   */
  lastActive: (b: number) => `${P}last-active:${bucketTag(b)}`,
  /**
   * String: the last activity mark (ms) of a user found inactive when it was replaced, set by
   * the script that replaced it (mark-active.lua) and deleted by the rebuild of the user's
   * timeline (rebuild-timeline.lua). Every server node that marks the user while it exists
   * rebuilds before answering, so no node answers from a timeline not yet rebuilt. It expires
   * (activity.ts) so that a rebuild failing for good is not retried for ever.
   */
  rebuildPending: (b: number, userId: string) => `${P}rebuild-pending:${bucketTag(b)}:${userId}`,
  /** Sorted set: one author's tweets still waiting to be published, scored by publish time (GET /api/me/scheduled). */
  scheduledBy: (b: number, authorId: string) => `${P}scheduled-by:${bucketTag(b)}:${authorId}`,
  /**
   * Sorted set of fan-out entries of this bucket's lanes (JSON) scored by the time workers put
   * them back on their lane: failed entries, due for a retry; and inline deliveries under way in
   * a server, due to be taken over should it not finish them (admit-tweet.lua).
   */
  retrySchedule: (b: number) => `${P}fanout:retry:${bucketTag(b)}`,
  /** Stream of fan-out entries given up on (malformed, or out of attempts), kept for a human. */
  deadLetterStream: (b: number) => `${P}fanout:dead:${bucketTag(b)}`,
  /** Stream of Socket.IO events written in this bucket, relayed by every server node. */
  eventsStream: (b: number) => `${P}events:${bucketTag(b)}`,
} as const;

export const keys = { ...unbucketed, ...inBucket } as const;

/**
 * The keys of one layout, with ids placed in their buckets: `k.user(id)`, `k.tweet(id)`,
 * `k.followers(bucket, authorId)`. Built once per Redis client (see keysOf in shared/node).
 */
export function keysFor(layout: Layout) {
  const at = layout.bucketOf;
  return {
    ...unbucketed,
    layout,
    user: (id: string) => inBucket.user(at(id), id),
    following: (id: string) => inBucket.following(at(id), id),
    timeline: (id: string) => inBucket.timeline(at(id), id),
    /** What a page script puts before a follower id to name the follower's timeline in bucket `b`. */
    timelinePrefix: (b: number) => inBucket.timeline(b, ''),
    userTweets: (id: string) => inBucket.userTweets(at(id), id),
    tweet: (id: string | number) => inBucket.tweet(at(id), String(id)),
    /** What admission puts before a new tweet id in the author's bucket `b`. */
    tweetPrefix: (b: number) => inBucket.tweet(b, ''),
    job: (id: string) => inBucket.job(at(id), id),
    jobPrefix: (b: number) => inBucket.job(b, ''),
    journey: (id: string) => inBucket.journey(at(id), id),
    /** What a script puts before a job id to name its journey in bucket `b`. */
    journeyPrefix: (b: number) => inBucket.journey(b, ''),
    idempotency: (userId: string, key: string) => inBucket.idempotency(at(userId), userId, key),
    rateLimit: (name: string, userId: string, window: number) => inBucket.rateLimit(at(userId), name, userId, window),
    audience: (authorId: string) => inBucket.audience(at(authorId), authorId),
    followers: inBucket.followers,
    followersVersion: inBucket.followersVersion,
    cursor: inBucket.cursor,
    /** What the delete script puts before a post job id to name its cursors in the author's bucket `b`. */
    cursorPrefix: (b: number) => inBucket.cursor(b, ''),
    tweetSeq: inBucket.tweetSeq,
    jobSeq: inBucket.jobSeq,
    backlog: inBucket.backlog,
    smallBacklog: inBucket.smallBacklog,
    authorBacklog: (authorId: string) => inBucket.authorBacklog(at(authorId), authorId),
    stats: inBucket.stats,
    fanoutDurations: inBucket.fanoutDurations,
    recentDurations: inBucket.recentDurations,
    online: inBucket.online,
    fanoutLanes: inBucket.fanoutLanes,
    retrySchedule: inBucket.retrySchedule,
    publishSchedule: inBucket.publishSchedule,
    scheduledBy: (authorId: string) => inBucket.scheduledBy(at(authorId), authorId),
    onReadAuthors: inBucket.onReadAuthors,
    lastActive: inBucket.lastActive,
    rebuildPending: (userId: string) => inBucket.rebuildPending(at(userId), userId),
    deadLetterStream: inBucket.deadLetterStream,
    eventsStream: inBucket.eventsStream,
  } as const;
}

export type RippleKeys = ReturnType<typeof keysFor>;
