import { build, type Histogram } from 'hdr-histogram-js';

/** One latency measure as the report shows it: a count and percentiles in milliseconds (1 decimal). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One point of a percentile spectrum: `nines` = -log10(1 - percentile/100), so 2 is p99. */
export interface SpectrumPoint {
  percentile: number;
  nines: number;
  ms: number;
}

/**
 * An hour in microseconds: anything slower is a broken run, not a latency. HdrHistogram keeps
 * 3 significant digits over the whole range, so 1 µs and 1 h share one histogram at ~0.1 % error.
 */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;

/** The rightmost point of spectrum plots: p99.99. */
export const SPECTRUM_MAX_NINES = 4;

const toMs = (us: number): number => Math.round(us / 100) / 10;

/**
 * Latency samples of one measure, in an HdrHistogram of microseconds. Samples are recorded in
 * milliseconds (fractions welcome) because that is what `performance.now()` gives.
 */
export class LatencyRecorder {
  readonly #histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one latency. Negative values (clock jitter between two readings) count as 0. */
  record(ms: number): void {
    const us = Math.round(Math.max(0, ms) * 1000);
    this.#histogram.recordValue(Math.min(us, HIGHEST_TRACKABLE_US));
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** Latency at `percentile` (0–100) in ms; 0 when nothing was recorded. */
  atPercentile(percentile: number): number {
    if (this.count === 0) return 0;
    // The exact largest sample, rather than the top of its HdrHistogram bucket.
    if (percentile >= 100) return toMs(this.#histogram.maxValue);
    return toMs(Math.min(this.#histogram.getValueAtPercentile(percentile), this.#histogram.maxValue));
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: this.atPercentile(50),
      p90: this.atPercentile(90),
      p99: this.atPercentile(99),
      p999: this.atPercentile(99.9),
      max: this.atPercentile(100),
    };
  }

  /**
   * The percentile spectrum from p0 to p99.99 in `steps` equal steps of "nines", as the
   * HdrHistogram plotter draws it: the tail gets as much room as the body. Empty when nothing
   * was recorded.
   */
  spectrum(steps = 80): SpectrumPoint[] {
    if (this.count === 0) return [];
    const points: SpectrumPoint[] = [];
    for (let i = 0; i <= steps; i++) {
      const nines = (SPECTRUM_MAX_NINES * i) / steps;
      const percentile = 100 * (1 - 10 ** -nines);
      points.push({ percentile, nines, ms: this.atPercentile(percentile) });
    }
    return points;
  }
}
