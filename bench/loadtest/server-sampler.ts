import { systemClock, type Clock } from './open-loop.js';

/** One reading of the server: its fan-out backlog and its delivery counter, either may be missing. */
export interface ServerReading {
  backlog: number | null;
  deliveriesTotal: number | null;
}

/** One point of the over-time series in the report; `t` in seconds since the run started. */
export interface SeriesPoint {
  t: number;
  backlog: number;
  deliveriesPerSecond: number;
}

interface Sample extends ServerReading {
  /** Clock ms. */
  at: number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Reads the server once a second (backlog from /healthz, `ripple_deliveries_total` from
 * /metrics) and turns the readings into a series. Readings never overlap: a slow server makes
 * the series sparser, not the load tester busier. The counter is cluster-wide, so deliveries/s
 * is Ripple's whole throughput, which is what a capacity question is about.
 */
export class ServerSampler {
  readonly #read: () => Promise<ServerReading>;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #samples: Sample[] = [];
  #startAt = 0;
  #cancel: (() => void) | null = null;
  #inFlight: Promise<void> | null = null;
  #running = false;

  /**
   * @param read - one reading; a rejection skips that second
   * @param intervalMs - time between the starts of two readings; @defaultValue 1000
   */
  constructor(read: () => Promise<ServerReading>, clock: Clock = systemClock, intervalMs = 1000) {
    this.#read = read;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** Takes the first reading now; `t = 0` is `startAt` (clock ms). */
  start(startAt: number = this.#clock.now()): void {
    this.#startAt = startAt;
    this.#running = true;
    this.#sampleOnce();
  }

  #sampleOnce(): void {
    const at = this.#clock.now();
    this.#inFlight = this.#read()
      .then((reading) => {
        this.#samples.push({ ...reading, at });
      })
      .catch(() => {
        // A missed second is a gap in the plot; the run goes on.
      })
      .finally(() => {
        this.#inFlight = null;
        if (!this.#running) return;
        // On the 1 s grid from the start, skipping ticks a slow reading overran.
        const elapsed = this.#clock.now() - this.#startAt;
        const next = (Math.floor(elapsed / this.#intervalMs) + 1) * this.#intervalMs;
        this.#cancel = this.#clock.setTimer(() => this.#sampleOnce(), this.#startAt + next - this.#clock.now());
      });
  }

  /** Stops sampling after one last reading, so the totals cover the whole run. */
  async stop(): Promise<void> {
    this.halt();
    await this.#inFlight;
    const at = this.#clock.now();
    await this.#read()
      .then((reading) => void this.#samples.push({ ...reading, at }))
      .catch(() => {});
  }

  /** Stops sampling at once, without a last reading. */
  halt(): void {
    this.#running = false;
    this.#cancel?.();
    this.#cancel = null;
  }

  /** The backlog of the latest reading that had one. */
  get latestBacklog(): number | null {
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const backlog = this.#samples[i]!.backlog;
      if (backlog !== null) return backlog;
    }
    return null;
  }

  /**
   * The series: one point per reading, deliveries/s being the counter's rise since the
   * previous reading that had one, per second (0 for the first).
   */
  series(): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    let previous: Sample | null = null;
    for (const sample of this.#samples) {
      // The last reading (taken at stop) may follow a regular one by a few ms: a rate over so
      // short a span is noise, so such a reading adds no point of its own.
      if (previous && sample.at - previous.at < this.#intervalMs / 4) continue;
      let rate = 0;
      if (sample.deliveriesTotal !== null && previous && previous.deliveriesTotal !== null && sample.at > previous.at) {
        rate = ((sample.deliveriesTotal - previous.deliveriesTotal) * 1000) / (sample.at - previous.at);
      }
      if (sample.deliveriesTotal !== null) previous = sample;
      points.push({ t: round1((sample.at - this.#startAt) / 1000), backlog: sample.backlog ?? 0, deliveriesPerSecond: round1(Math.max(0, rate)) });
    }
    return points;
  }

  /**
   * Deliveries the counter rose by between the first and the last reading, per second of the
   * time between them; null without two readings of the counter.
   */
  overallDeliveriesPerSecond(): number | null {
    const withCounter = this.#samples.filter((s) => s.deliveriesTotal !== null);
    const first = withCounter[0];
    const last = withCounter.at(-1);
    if (!first || !last || last.at <= first.at) return null;
    return round1(((last.deliveriesTotal! - first.deliveriesTotal!) * 1000) / (last.at - first.at));
  }
}
