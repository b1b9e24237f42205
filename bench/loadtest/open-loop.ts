/**
 * The constant-arrival scheduler (wrk2's `-R`, k6's constant-arrival-rate): arrival i is due at
 * `startAt + i / rate`, and is fired at that time whether or not earlier ones have been
 * answered. A closed loop (send, wait, send) slows down with the server and so hides exactly
 * the stalls a load test is for ("coordinated omission"); an open loop keeps the schedule, and
 * every latency is measured from the arrival's intended time.
 */

/** Time and timers, injected so that tests can run the schedule on a virtual clock. */
export interface Clock {
  /** Monotonic milliseconds; only differences matter. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** One scheduled request: its sequence number and when it should be sent (clock ms). */
export interface Arrival {
  index: number;
  intendedAt: number;
  /** Whole seconds from the schedule's start to `intendedAt`: the second of the run it belongs to. */
  second: number;
}

export interface OpenLoopOptions {
  /** Arrivals per second; > 0. */
  rate: number;
  /** Seconds over which arrivals are due; `round(rate × durationS)` arrivals in all. */
  durationS: number;
  /** @defaultValue {@link systemClock} */
  clock?: Clock;
  /**
   * Clock time of arrival 0.
   * @defaultValue `clock.now()` when the loop starts
   */
  startAt?: number;
  /**
   * Starts the work of one arrival. It must return at once and not throw: the scheduler never
   * waits for what it starts, which is the whole point.
   */
  fire: (arrival: Arrival) => void;
}

/** A running schedule. */
export interface OpenLoop {
  /** Arrivals the schedule holds in all. */
  readonly total: number;
  /** Arrivals fired so far. */
  readonly fired: number;
  /** Resolves with the number fired, once the last arrival is fired or `stop()` is called. */
  readonly finished: Promise<number>;
  /** Fires nothing more. */
  stop(): void;
}

/** Arrivals in a schedule of `rate` per second for `durationS` seconds. */
export const arrivalCount = (rate: number, durationS: number): number => Math.round(rate * durationS);

/** Starts firing arrivals on schedule. */
export function startOpenLoop(options: OpenLoopOptions): OpenLoop {
  const clock = options.clock ?? systemClock;
  const total = arrivalCount(options.rate, options.durationS);
  const intervalMs = 1000 / options.rate;
  const startAt = options.startAt ?? clock.now();
  // Multiplying rather than adding intervals, so float error cannot drift the schedule.
  const dueAt = (index: number) => startAt + index * intervalMs;

  let fired = 0;
  let stopped = false;
  let cancelTimer: (() => void) | null = null;
  let settle!: (fired: number) => void;
  const finished = new Promise<number>((resolve) => (settle = resolve));

  function stop(): void {
    if (stopped) return;
    stopped = true;
    cancelTimer?.();
    cancelTimer = null;
    settle(fired);
  }

  function fireDue(): void {
    cancelTimer = null;
    if (stopped) return;
    const now = clock.now();
    // Every arrival that is due goes out now, late ones included: when the event loop was
    // busy, a late arrival is still measured from its intended time, so the pause shows up
    // as latency rather than as fewer requests.
    while (fired < total && dueAt(fired) <= now) {
      // By division rather than from dueAt: index / rate is exact where a second begins.
      const arrival: Arrival = { index: fired, intendedAt: dueAt(fired), second: Math.floor(fired / options.rate) };
      fired += 1;
      options.fire(arrival);
      if (stopped) return;
    }
    if (fired >= total) return stop();
    cancelTimer = clock.setTimer(fireDue, dueAt(fired) - now);
  }

  if (total === 0) stop();
  else cancelTimer = clock.setTimer(fireDue, Math.max(0, startAt - clock.now()));

  return {
    total,
    get fired() {
      return fired;
    },
    finished,
    stop,
  };
}
