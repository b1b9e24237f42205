/**
 * When the soak breaks what. Faults come one at a time, evenly spaced, cycling through the four
 * kinds, so every kind happens at least once and the system has time to recover from each
 * before the next; none in the first and last stretch of posting, so the run starts from a
 * steady state and the last restarted process is serving again before the drain begins.
 */

/** The faults the soak injects, in the order it cycles through them. */
export const FAULT_KINDS = ['kill-worker', 'stop-worker', 'kill-server', 'kill-redis'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each fault does, for the report. */
export const FAULT_MEANING: Record<FaultKind, string> = {
  'kill-worker': 'SIGKILL a worker, start a new one',
  'stop-worker': 'SIGSTOP a worker for longer than FANOUT_CLAIM_IDLE_MS, then SIGCONT',
  'kill-server': 'SIGKILL a server node, restart it on the same port',
  'kill-redis': 'SIGKILL redis-server, restart it from its append-only file',
};

export interface ScheduledFault {
  /** ms after posting starts. */
  atMs: number;
  kind: FaultKind;
}

export interface FaultScheduleOptions {
  /**
   * Longest gap between two faults: long runs get more faults, not sparser ones.
   * @defaultValue 45 000
   */
  maxGapMs?: number;
  /**
   * Shortest gap that leaves time for the slowest fault (a server restart) and its recovery;
   * a run too short to fit all four kinds at this spacing is refused.
   * @defaultValue 12 000
   */
  minGapMs?: number;
}

/** A run too short to hold every kind of fault. */
export class FaultScheduleError extends Error {
  override name = 'FaultScheduleError';
}

/** Quiet stretch before the first and after the last fault: 15 % of posting, 5–60 s. */
export const quietMs = (postingMs: number): number => Math.min(60_000, Math.max(5_000, postingMs * 0.15));

/** Room for faults in a run of `postingMs`: it grows with the run, so the shortest is found by bisection. */
const faultWindowMs = (postingMs: number): number => postingMs - 2 * quietMs(postingMs);

/** The shortest posting time that holds every kind of fault `minGapMs` apart. */
export function shortestPostingMs(minGapMs: number): number {
  const needed = (FAULT_KINDS.length - 1) * minGapMs;
  let [lo, hi] = [needed, needed + 200_000];
  while (hi - lo > 1) {
    const mid = (lo + hi) / 2;
    if (faultWindowMs(mid) >= needed) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The faults of a run that posts for `postingMs`, in time order. */
export function planFaults(postingMs: number, { maxGapMs = 45_000, minGapMs = 12_000 }: FaultScheduleOptions = {}): ScheduledFault[] {
  const quiet = quietMs(postingMs);
  const window = faultWindowMs(postingMs);
  // Four kinds need three gaps at least.
  const gap = Math.min(maxGapMs, window / (FAULT_KINDS.length - 1));
  if (!(gap >= minGapMs)) {
    const shortest = Math.ceil(shortestPostingMs(minGapMs) / 6_000) / 10;
    throw new FaultScheduleError(`too short to inject all four faults ${minGapMs / 1000} s apart; use at least ${shortest} minutes`);
  }
  // A hair of tolerance, so that a window of exactly k gaps holds k + 1 faults despite float error.
  const count = Math.floor(window / gap + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => ({ atMs: Math.round(quiet + i * gap), kind: FAULT_KINDS[i % FAULT_KINDS.length]! }));
}
