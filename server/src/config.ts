import {
  hostSetting,
  intSetting,
  optionalIntSetting,
  portSetting,
  readSettings,
  redisTargetOf,
  sharedSettings,
  stringSetting,
  switchSetting,
  type RedisTarget,
} from '@ripple/shared/node';
import { INLINE_MAX_LIMIT } from './inline-delivery.js';
import { DEFAULT_PRESENCE_TIMING, type PresenceTiming } from './presence.js';
import { DEFAULT_REPLICA_WAIT_MS } from './replication-check.js';

export interface ServerConfig {
  /** HTTP + Socket.IO port. @defaultValue 3000 */
  port: number;
  /** Address to listen on; `docker compose` sets 0.0.0.0. @defaultValue 127.0.0.1 */
  host: string;
  /** When set, `/metrics` is served only on this port (same host), not on `port`. */
  metricsPort: number | undefined;
  /** REDIS_CLUSTER_NODES when set, else REDIS_URL (default redis://127.0.0.1:6379). */
  redis: RedisTarget;
  /**
   * Outstanding deliveries of tweets that are not small at which such a tweet is refused with
   * 503 (admitted while below). @defaultValue 5000000
   */
  fanoutMaxBacklog: number;
  /** A tweet whose author has at most this many followers is small. @defaultValue 10000 */
  fanoutSmallAudience: number;
  /** As fanoutMaxBacklog, for small tweets: no big fan-out can hold one up. @defaultValue 500000 */
  fanoutMaxSmallBacklog: number;
  /** One author's outstanding deliveries at which their next tweet is refused. @defaultValue 2000000 */
  fanoutMaxAuthorBacklog: number;
  /**
   * An author with more followers than this at posting is not fanned out on write: followers'
   * reads merge the author's tweets (fan-out on read). 0 turns it off. @defaultValue 0
   */
  fanoutOnReadThreshold: number;
  /**
   * Followers inactive for longer than this many days are not written to, by workers nor by
   * this server's inline delivery (the same pages); a returning user's timeline is rebuilt
   * before their first read answers. 0: off, else at least 0.01. @defaultValue 0
   */
  inactiveAfterDays: number;
  /** Entries kept in one home timeline. @defaultValue 800 */
  timelineMax: number;
  /**
   * Followers per fan-out stream entry. A bigger audience is split into chunks that all workers
   * share; a chunk is short (tens of ms) so a dead worker's share is retaken quickly.
   * @defaultValue 10000
   */
  fanoutChunkSize: number;
  /**
   * FANOUT_INLINE_MAX: a tweet to at most this many followers is delivered inside its request
   * (inline-delivery.ts), unless Redis is busy; 0: never; at most 1000. Chosen from measurement
   * (README, "Inline delivery"). @defaultValue 10
   */
  fanoutInlineMax: number;
  /**
   * FANOUT_PAGE_SIZE: followers an inline delivery writes per page script, as a worker's pages
   * (worker/src/config.ts): what bounds how long one script holds Redis. @defaultValue 1000
   */
  fanoutPageSize: number;
  /** Tweets one user may post per minute, across all nodes; more answer 429. @defaultValue 600 */
  tweetsPerMinute: number;
  /** Failed sign-ins per handle and client address per minute; more answer 429. @defaultValue 10 */
  signInsPerMinute: number;
  /** Successful sign-ups per client address per hour; more answer 429; 0 turns it off. @defaultValue 1000 */
  signUpsPerHour: number;
  /** Demo-only endpoints (synthetic followers) answer; when false they are 404. @defaultValue true */
  demo: boolean;
  /** Synthetic followers one account may have in all. @defaultValue 3000000 */
  demoMaxFollowers: number;
  /**
   * Synthetic-follower requests one user may make per minute. Each can hold a worker of Redis
   * for seconds (in short slices), so a handful is plenty for a demo. @defaultValue 10
   */
  syntheticPerMinute: number;
  /**
   * Token signing key (RIPPLE_TOKEN_SECRET). When unset, main.ts refuses to start in production
   * and otherwise uses the local run's generated key in `.data/`; never kept in Redis, where
   * anyone who can reach Redis could read it and sign tokens.
   */
  tokenSecret: string | undefined;
  /**
   * Lifetime of a sign-in token in ms: a day of use, then sign in again. There is no revocation
   * list, so this bounds how long a stolen token works. @defaultValue 24 h
   */
  tokenTtlMs: number;
  /**
   * Sockets one user may hold open on one server node; one more is refused with `connect_error`
   * "too_many_connections". Enough for every tab and device a person uses, few enough that a
   * leaked token cannot pin a node's memory. Not an environment setting. @defaultValue 20
   */
  maxSocketsPerUser: number;
  /** Built client to serve, if present. */
  clientDir: string | undefined;
  /**
   * On a Redis Cluster, how long admission waits for a replica to confirm a new tweet (`WAIT 1`)
   * before answering 202 anyway and counting it unreplicated; 0 does not wait (the bench
   * measures what the wait costs). Ignored on a single Redis. @defaultValue 20
   */
  replicaWaitMs: number;
  /** When a connected user counts as online for workers (not an environment setting). */
  presence: PresenceTiming;
}

/** The settings admission checks a tweet against (admit-tweet.lua). */
export type AdmissionBound = 'fanoutMaxBacklog' | 'fanoutSmallAudience' | 'fanoutMaxSmallBacklog' | 'fanoutMaxAuthorBacklog' | 'fanoutOnReadThreshold';
export type AdmissionBounds = Pick<ServerConfig, AdmissionBound>;

const settings = {
  PORT: portSetting(3000),
  HOST: hostSetting('127.0.0.1'),
  METRICS_PORT: optionalIntSetting(1, 65_535),
  REDIS_URL: sharedSettings.REDIS_URL,
  REDIS_CLUSTER_NODES: sharedSettings.REDIS_CLUSTER_NODES,
  REDIS_PASSWORD: sharedSettings.REDIS_PASSWORD,
  TIMELINE_MAX: sharedSettings.TIMELINE_MAX,
  INACTIVE_AFTER_DAYS: sharedSettings.INACTIVE_AFTER_DAYS,
  FANOUT_MAX_BACKLOG: intSetting(5_000_000),
  FANOUT_SMALL_AUDIENCE: intSetting(10_000),
  FANOUT_MAX_SMALL_BACKLOG: intSetting(500_000),
  FANOUT_MAX_AUTHOR_BACKLOG: intSetting(2_000_000),
  FANOUT_ON_READ_THRESHOLD: intSetting(0),
  FANOUT_CHUNK_SIZE: intSetting(10_000, 1),
  FANOUT_INLINE_MAX: intSetting(10, 0, INLINE_MAX_LIMIT),
  FANOUT_PAGE_SIZE: intSetting(1000, 1),
  RATE_LIMIT_TWEETS_PER_MIN: intSetting(600, 1),
  RATE_LIMIT_SIGNINS_PER_MIN: intSetting(10, 1),
  RATE_LIMIT_SIGNUPS_PER_HOUR: intSetting(1000, 0),
  RATE_LIMIT_SYNTHETIC_PER_MIN: intSetting(10, 1),
  RIPPLE_DEMO: switchSetting(true),
  RIPPLE_DEMO_MAX_FOLLOWERS: intSetting(3_000_000),
  RIPPLE_TOKEN_SECRET: stringSetting(),
  ADMISSION_REPLICA_WAIT_MS: intSetting(DEFAULT_REPLICA_WAIT_MS),
};

/**
 * The settings this server must share with every other server and worker on its Redis, checked
 * at start (agreed-settings.ts). TIMELINE_MAX: the server trims the author's own timeline and
 * cuts every page it reads to it, while workers trim the followers'. FANOUT_CHUNK_SIZE needs no
 * agreement: only admission reads it, and each chunk's follower range travels in its stream
 * entry, so workers run whatever chunks they are given and servers with different sizes only
 * split different tweets differently. FANOUT_ON_READ_THRESHOLD needs none either: readers merge
 * the tweets that did go out on read (keys.onReadAuthors) whatever their own setting, and a
 * scheduled tweet carries the threshold of the server that admitted it to the worker publishing it.
 * INACTIVE_AFTER_DAYS: with the workers and every server's inline delivery, whose pages leave out
 * the users servers rebuild on their return: a page with a shorter window would leave out users no
 * server rebuilds.
 */
export const agreedServerSettings = (config: Pick<ServerConfig, 'timelineMax' | 'inactiveAfterDays'>) => ({
  TIMELINE_MAX: config.timelineMax,
  INACTIVE_AFTER_DAYS: config.inactiveAfterDays,
});

/** Reads the environment once into a typed config; a bad value throws a SettingError naming it. */
export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const s = readSettings(settings, env);
  return {
    port: s.PORT,
    host: s.HOST,
    metricsPort: s.METRICS_PORT,
    redis: redisTargetOf(s),
    fanoutMaxBacklog: s.FANOUT_MAX_BACKLOG,
    fanoutSmallAudience: s.FANOUT_SMALL_AUDIENCE,
    fanoutMaxSmallBacklog: s.FANOUT_MAX_SMALL_BACKLOG,
    fanoutMaxAuthorBacklog: s.FANOUT_MAX_AUTHOR_BACKLOG,
    fanoutOnReadThreshold: s.FANOUT_ON_READ_THRESHOLD,
    inactiveAfterDays: s.INACTIVE_AFTER_DAYS,
    timelineMax: s.TIMELINE_MAX,
    fanoutChunkSize: s.FANOUT_CHUNK_SIZE,
    fanoutInlineMax: s.FANOUT_INLINE_MAX,
    fanoutPageSize: s.FANOUT_PAGE_SIZE,
    tweetsPerMinute: s.RATE_LIMIT_TWEETS_PER_MIN,
    signInsPerMinute: s.RATE_LIMIT_SIGNINS_PER_MIN,
    signUpsPerHour: s.RATE_LIMIT_SIGNUPS_PER_HOUR,
    syntheticPerMinute: s.RATE_LIMIT_SYNTHETIC_PER_MIN,
    demo: s.RIPPLE_DEMO,
    demoMaxFollowers: s.RIPPLE_DEMO_MAX_FOLLOWERS,
    tokenSecret: s.RIPPLE_TOKEN_SECRET,
    tokenTtlMs: 24 * 3600 * 1000,
    maxSocketsPerUser: 20,
    clientDir: undefined,
    replicaWaitMs: s.ADMISSION_REPLICA_WAIT_MS,
    presence: DEFAULT_PRESENCE_TIMING,
  };
}
