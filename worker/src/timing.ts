import { WORKER_ALIVE_MS } from '@ripple/shared';

/**
 * Every interval the worker keeps, derived from its one setting, the claim time
 * (FANOUT_CLAIM_IDLE_MS): how long an entry may sit in a worker's hands before another worker
 * takes it over. The rules that keep claims correct hang together, so they live here:
 *
 * - A worker beats (records that it is alive) four times per claim time. By the time a dead
 *   worker's entry has been idle a claim time, its last beat is at least two beats old.
 * - Claim decisions count a worker alive when it beat within the last two beats: a worker that
 *   missed two is dead, and taking its entry counts an attempt; taking one from a live worker
 *   that is merely slow does not (claim-stalled.lua).
 * - A worker on a long chunk claims its own entry every third of a claim time, which resets the
 *   entry's idle time, so no one takes it from a live worker.
 * - Idle workers look for stalled entries every half claim time, and wait on an empty stream no
 *   longer than a claim time, so a stalled entry is taken over within about 1.5 claim times.
 * - Beats come at least once a second whatever the claim time, five within WORKER_ALIVE_MS, the
 *   window in which the dashboard counts a worker alive and a consumer is kept in the group.
 */
export interface WorkerTiming {
  claimIdleMs: number;
  heartbeatMs: number;
  /** A consumer that beat within this window is alive for claims. */
  aliveWindowMs: number;
  /** How often a worker on a long chunk claims its own entry. */
  ownClaimMs: number;
  /** How often an idle worker looks for stalled entries. */
  claimCheckMs: number;
  /** The longest wait for new work on an empty stream (a single Redis). */
  blockMs: number;
}

const LONGEST_HEARTBEAT_MS = WORKER_ALIVE_MS / 5;
/** An idle worker still looks at retries, stalled entries and stopping at least this often. */
const LONGEST_BLOCK_MS = 500;

/** The intervals that follow from a claim time; see WorkerTiming. */
export function workerTiming(claimIdleMs: number): WorkerTiming {
  const heartbeatMs = Math.min(LONGEST_HEARTBEAT_MS, claimIdleMs / 4);
  return {
    claimIdleMs,
    heartbeatMs,
    aliveWindowMs: 2 * heartbeatMs,
    ownClaimMs: claimIdleMs / 3,
    claimCheckMs: claimIdleMs / 2,
    blockMs: Math.min(LONGEST_BLOCK_MS, claimIdleMs),
  };
}

/** Due retries are moved back onto the lanes, and due scheduled tweets published, at most this often. */
export const PROMOTE_INTERVAL_MS = 250;

/** Consumers of dead workers are forgotten at most this often (see forgetDeadConsumers). */
export const TIDY_INTERVAL_MS = 60_000;

/**
 * How long a worker that was stopped during an outage waits for Redis to come back so it can
 * hand back the entries it holds. Longer than the loop's longest back-off and the client's
 * longest reconnect delay, so a short outage is ridden out; short enough that, after the loop's
 * last back-off (3 s at most), the process still exits within its 8 s grace (main.ts).
 */
export const HAND_BACK_WAIT_MS = 4000;

/**
 * After its connection comes back from an outage, a worker claims nothing for this long. Nobody
 * could beat while Redis was away, so every heartbeat looks stale and every entry in hand looks
 * stalled; the other workers need up to one reconnect delay (about 2 s, see createRedisClient)
 * to come back, beat and claim their own entries again. Judging them before that would count an
 * attempt against live workers, and an outage must cost no attempt.
 */
export const NO_CLAIMS_AFTER_OUTAGE_MS = 3000;

/**
 * A gate that opens at most once per `ms`, first at once or, given `openedAt`, a full `ms`
 * after it; `reopen` makes its next check pass.
 */
export function everyMs(ms: number, openedAt = 0): { due(): boolean; reopen(): void } {
  let last = openedAt;
  return {
    due() {
      if (Date.now() - last < ms) return false;
      last = Date.now();
      return true;
    },
    reopen() {
      last = 0;
    },
  };
}
