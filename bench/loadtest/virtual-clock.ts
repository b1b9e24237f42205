import type { Clock } from './open-loop.js';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets every promise callback queued so far run (and those they queue in turn). */
export const flushPromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock for tests: time moves only in `advance`, which runs the timers that fall due in time
 * order and lets promise callbacks settle after each, so seconds of schedule take milliseconds.
 */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: PendingTimer[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: PendingTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms` without running any timer: the event loop was blocked. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward by `ms`, running every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    // Work started before the call (a promise chain that will set a timer) gets to run first.
    await flushPromises();
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const next = this.#timers.reduce<PendingTimer | null>((a, t) => (t.at <= end && (!a || t.at < a.at || (t.at === a.at && t.seq < a.seq)) ? t : a), null);
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flushPromises();
    }
    this.#now = end;
  }
}
