/**
 * Upper bounds (ms) of the fan-out duration histogram buckets. Lua scripts receive them as an
 * argument, and /metrics reads the same list, so the two can't disagree.
 */
export const FANOUT_DURATION_BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;
