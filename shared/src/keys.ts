/**
 * Every Redis key and stream name Ripple uses. Nothing else spells a key: server, worker,
 * Lua wrappers and tests all build names here, so a rename happens in one place.
 */
const P = 'ripple:';

export const keys = {
  /** Hash: the user; its fields are named in records/user-record.ts. */
  user: (id: string) => `${P}user:${id}`,
  /** Hash: lower-case handle → user id. HSETNX here is what makes sign-up race-free. */
  handles: `${P}handles`,
  /** Sorted set: follower id, scored by the global follow sequence at the moment of following. */
  followers: (id: string) => `${P}followers:${id}`,
  /** Set: ids this user follows. */
  following: (id: string) => `${P}following:${id}`,
  /**
   * List of tweet sequence numbers, most recently delivered first: the user's home timeline.
   * A list of integers takes ~5 KB at 800 entries where a sorted set takes ~96 KB; order and
   * exactly-once come from elsewhere (readers sort by id; deliveries are cursor-guarded).
   */
  timeline: (id: string) => `${P}timeline:${id}`,
  /** Prefix Lua scripts append a user id to, for the timelines they write. */
  timelinePrefix: `${P}timeline:`,
  /** Sorted set of tweet sequence numbers: the user's own tweets. */
  userTweets: (id: string) => `${P}tweets-by:${id}`,
  /** Hash: the tweet; its fields are named in records/tweet-record.ts. */
  tweet: (seq: number | string) => `${P}tweet:${seq}`,
  /** Hash: the fan-out job's state; its fields are named in records/job-record.ts. */
  job: (id: string) => `${P}job:${id}`,
  /** String "tweetSeq:jobId" for one user's Idempotency-Key, kept 24 h. */
  idempotency: (userId: string, key: string) => `${P}idem:${userId}:${key}`,
  seq: {
    user: `${P}seq:user`,
    tweet: `${P}seq:tweet`,
    job: `${P}seq:job`,
    /** One global counter, so "followers at the time of posting" is a score range. */
    follow: `${P}seq:follow`,
  },
  /** Outstanding follower deliveries: accepted, not yet delivered. Admission control reads it. */
  backlog: `${P}backlog`,
  /**
   * Hash of cluster-wide counters, the one source for /metrics, the dashboard and the drain
   * rate; its fields are named in records/stats-record.ts.
   */
  stats: `${P}stats`,
  /** Hash: fan-out duration histogram (post → done); its fields are named in records/fanout-durations-record.ts. */
  fanoutDurations: `${P}stats:fanout-ms`,
  /** List of "<finishedAtMs>:<durationMs>" of the most recent finished fan-outs, newest first. */
  recentDurations: `${P}stats:recent-fanouts`,
  /** Sorted set: worker consumer name → time of its last heartbeat (ms). */
  workers: `${P}workers`,
  /** Counter of one user's requests of one kind in one fixed window. */
  rateLimit: (name: string, userKey: string, window: number) => `${P}rate:${name}:${userKey}:${window}`,
  /**
   * Sorted set: user id → until when (ms) they count as online. Server nodes keep re-asserting
   * the users whose sockets they hold, so a crashed node's users simply expire.
   */
  online: `${P}online`,
  /** Secret that signs tokens when RIPPLE_TOKEN_SECRET is not set; shared by every process. */
  tokenSecret: `${P}token-secret`,
  /**
   * Random value made once per data set and carried in every token: if Redis loses its data,
   * user ids start again from 1, and the new epoch keeps old tokens from naming new users.
   */
  tokenEpoch: `${P}token-epoch`,
  /**
   * Fan-out work in two lanes (streams) read by one consumer group: `small` holds jobs that fit
   * in one chunk, `bulk` the chunks of bigger audiences. Workers always serve `small` first, so
   * a tweet to a hundred followers never queues behind a celebrity's million.
   */
  fanoutLanes: { small: `${P}fanout:small`, bulk: `${P}fanout:bulk` },
  fanoutGroup: 'fanout-workers',
  /** Sorted set of failed fan-out entries (JSON) scored by the time their retry is due. */
  retrySchedule: `${P}fanout:retry`,
  /** Stream of fan-out entries given up on (malformed, or out of attempts), kept for a human. */
  deadLetterStream: `${P}fanout:dead`,
  /** Stream of Socket.IO events published by workers and relayed by every server node. */
  eventsStream: `${P}events`,
} as const;
