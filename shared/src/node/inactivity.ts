/**
 * The maths of INACTIVE_AFTER_DAYS, shared by the servers (which mark activity and rebuild a
 * returning user's timeline, server/src/activity.ts) and every delivery page (fan-out.ts), so
 * that both count the same users as inactive.
 */
const DAY_MS = 24 * 3600 * 1000;

/**
 * How often one server node writes a user's last activity at most. INACTIVE_AFTER_DAYS counts
 * in days, so a mark a few minutes old is as good as a fresh one, and an active user costs a
 * write every few minutes instead of one per request.
 */
export const ACTIVITY_WRITE_EVERY_MS = 5 * 60_000;

/**
 * The smallest INACTIVE_AFTER_DAYS other than 0 (off): 0.01 days, 14.4 minutes, about three
 * times ACTIVITY_WRITE_EVERY_MS. A mark can be that old for a user active right now; a shorter
 * setting would leave such users out.
 */
export const INACTIVE_AFTER_DAYS_MIN = 0.01;

/** The activity mark (ms) below which a user counts as inactive at `nowMs`; 0 when `days` is 0 (off): nobody does. */
export const inactiveBeforeMs = (days: number, nowMs: number): number => (days > 0 ? nowMs - days * DAY_MS : 0);
