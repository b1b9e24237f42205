import { redisTargetFromEnv, type RedisTarget } from '@ripple/shared/node';
import { DEFAULT_PRESENCE_TIMING, type PresenceTiming } from './presence.js';
import { DEFAULT_REPLICA_WAIT_MS } from './replication-check.js';

export interface ServerConfig {
  /** HTTP + Socket.IO port. @defaultValue 3000 */
  port: number;
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
  /** Entries kept in one home timeline. @defaultValue 800 */
  timelineMax: number;
  /**
   * Followers per fan-out stream entry. A bigger audience is split into chunks that all workers
   * share; a chunk is short (tens of ms) so a dead worker's share is retaken quickly.
   * @defaultValue 10000
   */
  fanoutChunkSize: number;
  /** Tweets one user may post per minute, across all nodes; more answer 429. @defaultValue 600 */
  tweetsPerMinute: number;
  /** Failed sign-ins per handle and client address per minute; more answer 429. @defaultValue 10 */
  signInsPerMinute: number;
  /** Successful sign-ups per client address per hour; more answer 429; 0 turns it off. @defaultValue 1000 */
  signUpsPerHour: number;
  /** Demo-only endpoints (synthetic followers) answer; when false they are 404. @defaultValue true */
  demo: boolean;
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
export type AdmissionBound = 'fanoutMaxBacklog' | 'fanoutSmallAudience' | 'fanoutMaxSmallBacklog' | 'fanoutMaxAuthorBacklog';
export type AdmissionBounds = Pick<ServerConfig, AdmissionBound>;

const intFrom = (value: string | undefined, fallback: number, name: string, min = 1): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
};

/** Reads the environment once into a typed config; a bad value stops the process with its name. */
export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    port: intFrom(env.PORT, 3000, 'PORT', 0),
    redis: redisTargetFromEnv(env),
    fanoutMaxBacklog: intFrom(env.FANOUT_MAX_BACKLOG, 5_000_000, 'FANOUT_MAX_BACKLOG', 0),
    fanoutSmallAudience: intFrom(env.FANOUT_SMALL_AUDIENCE, 10_000, 'FANOUT_SMALL_AUDIENCE', 0),
    fanoutMaxSmallBacklog: intFrom(env.FANOUT_MAX_SMALL_BACKLOG, 500_000, 'FANOUT_MAX_SMALL_BACKLOG', 0),
    fanoutMaxAuthorBacklog: intFrom(env.FANOUT_MAX_AUTHOR_BACKLOG, 2_000_000, 'FANOUT_MAX_AUTHOR_BACKLOG', 0),
    timelineMax: intFrom(env.TIMELINE_MAX, 800, 'TIMELINE_MAX'),
    fanoutChunkSize: intFrom(env.FANOUT_CHUNK_SIZE, 10_000, 'FANOUT_CHUNK_SIZE'),
    tweetsPerMinute: intFrom(env.RATE_LIMIT_TWEETS_PER_MIN, 600, 'RATE_LIMIT_TWEETS_PER_MIN'),
    signInsPerMinute: intFrom(env.RATE_LIMIT_SIGNINS_PER_MIN, 10, 'RATE_LIMIT_SIGNINS_PER_MIN'),
    signUpsPerHour: intFrom(env.RATE_LIMIT_SIGNUPS_PER_HOUR, 1000, 'RATE_LIMIT_SIGNUPS_PER_HOUR', 0),
    demo: (env.RIPPLE_DEMO ?? '1') !== '0',
    tokenSecret: env.RIPPLE_TOKEN_SECRET || undefined,
    tokenTtlMs: 24 * 3600 * 1000,
    maxSocketsPerUser: 20,
    clientDir: undefined,
    replicaWaitMs: intFrom(env.ADMISSION_REPLICA_WAIT_MS, DEFAULT_REPLICA_WAIT_MS, 'ADMISSION_REPLICA_WAIT_MS', 0),
    presence: DEFAULT_PRESENCE_TIMING,
  };
}
