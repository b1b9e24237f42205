/**
 * Upper bounds (ms) of the fan-out duration histogram buckets. Lua scripts receive them as an
 * argument, and /metrics reads the same list, so the two can't disagree.
 */
export const FANOUT_DURATION_BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;

/** How many recent fan-out durations are kept for the dashboard's percentiles. */
export const RECENT_FANOUTS_KEPT = 2000;

/** A worker whose last heartbeat is older than this is counted as gone. */
export const WORKER_ALIVE_MS = 5000;

/** The events stream is a live feed, not a log: it is trimmed to roughly this many entries. */
export const EVENTS_MAX_LEN = 100_000;

/**
 * Timelines are trimmed lazily: a timeline may grow to this length before it is cut back to
 * TIMELINE_MAX in one LTRIM, instead of trimming on every insert. Readers never show more than
 * TIMELINE_MAX entries.
 */
export const timelineTrimAt = (timelineMax: number): number => timelineMax + Math.ceil(timelineMax / 8);
