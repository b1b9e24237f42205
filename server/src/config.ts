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
  /** Outstanding deliveries above which new tweets are refused with 503. @defaultValue 5000000 */
  fanoutMaxBacklog: number;
  /** Authors with at most this many followers post small tweets. @defaultValue 10000 */
  fanoutSmallAudience: number;
  /** Outstanding deliveries of small tweets at which a new one is refused. @defaultValue 500000 */
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
  /** Sign-in attempts per handle per minute; more answer 429. @defaultValue 10 */
  signInsPerMinute: number;
  /** Demo-only endpoints (synthetic followers) answer; when false they are 404. @defaultValue true */
  demo: boolean;
  /** Synthetic followers one account may have in all. @defaultValue 3000000 */
  demoMaxFollowers: number;
  /**
   * Synthetic-follower requests one user may make per minute. Each can hold a worker of Redis
   * for seconds (in short slices), so a handful is plenty for a demo. @defaultValue 10
   */
  syntheticPerMinute: number;
  /** Token signing key; when unset, one generated key is shared through Redis by every process. */
  tokenSecret: string | undefined;
  /** Lifetime of a sign-in token in ms. @defaultValue 7 days */
  tokenTtlMs: number;
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

const settings = {
  PORT: portSetting(3000),
  HOST: hostSetting('127.0.0.1'),
  METRICS_PORT: optionalIntSetting(1, 65_535),
  REDIS_URL: sharedSettings.REDIS_URL,
  REDIS_CLUSTER_NODES: sharedSettings.REDIS_CLUSTER_NODES,
  TIMELINE_MAX: sharedSettings.TIMELINE_MAX,
  FANOUT_MAX_BACKLOG: intSetting(5_000_000),
  FANOUT_SMALL_AUDIENCE: intSetting(10_000),
  FANOUT_MAX_SMALL_BACKLOG: intSetting(500_000),
  FANOUT_MAX_AUTHOR_BACKLOG: intSetting(2_000_000),
  FANOUT_CHUNK_SIZE: intSetting(10_000, 1),
  RATE_LIMIT_TWEETS_PER_MIN: intSetting(600, 1),
  RATE_LIMIT_SIGNINS_PER_MIN: intSetting(10, 1),
  RATE_LIMIT_SYNTHETIC_PER_MIN: intSetting(10, 1),
  RIPPLE_DEMO: switchSetting(true),
  RIPPLE_DEMO_MAX_FOLLOWERS: intSetting(3_000_000),
  RIPPLE_TOKEN_SECRET: stringSetting(),
  ADMISSION_REPLICA_WAIT_MS: intSetting(DEFAULT_REPLICA_WAIT_MS),
};

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
    timelineMax: s.TIMELINE_MAX,
    fanoutChunkSize: s.FANOUT_CHUNK_SIZE,
    tweetsPerMinute: s.RATE_LIMIT_TWEETS_PER_MIN,
    signInsPerMinute: s.RATE_LIMIT_SIGNINS_PER_MIN,
    syntheticPerMinute: s.RATE_LIMIT_SYNTHETIC_PER_MIN,
    demo: s.RIPPLE_DEMO,
    demoMaxFollowers: s.RIPPLE_DEMO_MAX_FOLLOWERS,
    tokenSecret: s.RIPPLE_TOKEN_SECRET,
    tokenTtlMs: 7 * 24 * 3600 * 1000,
    clientDir: undefined,
    replicaWaitMs: s.ADMISSION_REPLICA_WAIT_MS,
    presence: DEFAULT_PRESENCE_TIMING,
  };
}
