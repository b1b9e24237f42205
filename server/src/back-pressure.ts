/**
 * Drain rate assumed when telling a refused client how long to wait. Issue #4 replaces this
 * with the measured recent rate; until then it is a conservative figure for one small box.
 */
const ASSUMED_DRAIN_PER_S = 100_000;

/** Seconds until the backlog is likely back under the limit; at least 1. */
export function retryAfterSeconds(backlog: number, maxBacklog: number): number {
  return Math.max(1, Math.ceil((backlog - maxBacklog) / ASSUMED_DRAIN_PER_S));
}
