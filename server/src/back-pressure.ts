/** Retry-After when nothing is draining (no worker running): long enough not to hammer. */
const UNKNOWN_DRAIN_WAIT_S = 10;
/** Never tell a client to wait longer than this; by then the picture will have changed. */
const MAX_WAIT_S = 300;

/**
 * Honest seconds until a backlog is below its bound again, when a tweet is admitted: what has
 * to drain divided by the rate at which workers have recently been delivering. At least 1.
 */
export function retryAfterSeconds(backlog: number, bound: number, drainPerSecond: number | null): number {
  if (drainPerSecond === null || drainPerSecond < 1) return UNKNOWN_DRAIN_WAIT_S;
  return Math.min(MAX_WAIT_S, Math.max(1, Math.ceil((backlog - bound + 1) / drainPerSecond)));
}
