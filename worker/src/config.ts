import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { intSetting, readSettings, redisTargetOf, sharedSettings, type RedisTarget } from '@ripple/shared/node';

export interface WorkerConfig {
  /** REDIS_CLUSTER_NODES when set, else REDIS_URL (default redis://127.0.0.1:6379). */
  redis: RedisTarget;
  /** Entries kept in one home timeline. @defaultValue 800 */
  timelineMax: number;
  /** Followers inactive for longer than this many days are not written to; 0: off, else at least 0.01. @defaultValue 0 */
  inactiveAfterDays: number;
  /**
   * Followers written per Lua call. One call blocks Redis while it runs, so a page is kept
   * small enough (a few ms) that other clients and other jobs interleave.
   * @defaultValue 1000
   */
  pageSize: number;
  /**
   * A pending entry idle this long belonged to a dead worker and is claimed. A few seconds,
   * not minutes: someone is watching the delivery bar. Every other interval of the worker
   * follows from it (timing.ts). @defaultValue 3000
   */
  claimIdleMs: number;
  /** Tries of one chunk before it goes to dead letters and its job fails. @defaultValue 5 */
  maxAttempts: number;
  /** Delay before the first retry; it doubles each time, with jitter. @defaultValue 500 */
  retryBaseMs: number;
  /** Longest delay between retries. @defaultValue 30000 */
  retryCapMs: number;
  /**
   * On a cluster, where a read cannot wait on every bucket's lanes at once, how often an idle
   * worker looks at them all (a single Redis waits on its lanes; see timing.ts).
   * @defaultValue 20
   */
  pollMs: number;
  /** Unique name of this consumer in the group. */
  consumerName: string;
  /** Minimum gap between progress events of one job, in ms. @defaultValue 250 */
  progressIntervalMs: number;
}

const settings = {
  REDIS_URL: sharedSettings.REDIS_URL,
  REDIS_CLUSTER_NODES: sharedSettings.REDIS_CLUSTER_NODES,
  REDIS_PASSWORD: sharedSettings.REDIS_PASSWORD,
  TIMELINE_MAX: sharedSettings.TIMELINE_MAX,
  INACTIVE_AFTER_DAYS: sharedSettings.INACTIVE_AFTER_DAYS,
  FANOUT_PAGE_SIZE: intSetting(1000, 1),
  FANOUT_CLAIM_IDLE_MS: intSetting(3000, 1),
  FANOUT_MAX_ATTEMPTS: intSetting(5, 1),
  FANOUT_RETRY_BASE_MS: intSetting(500, 1),
};

/**
 * The settings this worker must share with every other process on its Redis, checked at start
 * (agreed-settings.ts). TIMELINE_MAX: with the servers, which trim authors' timelines and read
 * pages to it. FANOUT_CLAIM_IDLE_MS: with the other workers, because every claim judges another
 * worker by this one's timing (timing.ts): a worker with a shorter claim time would take entries
 * from live workers that beat and reclaim more slowly, and count an attempt against them.
 * FANOUT_PAGE_SIZE, FANOUT_MAX_ATTEMPTS and FANOUT_RETRY_BASE_MS may differ: each shapes only
 * this worker's own calls and retries. INACTIVE_AFTER_DAYS: with the servers, which rebuild the
 * timelines of returning users that workers left out; a worker skipping users a server does not
 * count as inactive would lose their tweets.
 */
export const agreedWorkerSettings = (config: Pick<WorkerConfig, 'timelineMax' | 'claimIdleMs' | 'inactiveAfterDays'>) => ({
  TIMELINE_MAX: config.timelineMax,
  INACTIVE_AFTER_DAYS: config.inactiveAfterDays,
  FANOUT_CLAIM_IDLE_MS: config.claimIdleMs,
});

/** Reads the environment once into a typed config; a bad value throws a SettingError naming it. */
export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const s = readSettings(settings, env);
  return {
    redis: redisTargetOf(s),
    timelineMax: s.TIMELINE_MAX,
    inactiveAfterDays: s.INACTIVE_AFTER_DAYS,
    pageSize: s.FANOUT_PAGE_SIZE,
    claimIdleMs: s.FANOUT_CLAIM_IDLE_MS,
    maxAttempts: s.FANOUT_MAX_ATTEMPTS,
    retryBaseMs: s.FANOUT_RETRY_BASE_MS,
    retryCapMs: 30_000,
    pollMs: 20,
    consumerName: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    progressIntervalMs: 250,
  };
}
