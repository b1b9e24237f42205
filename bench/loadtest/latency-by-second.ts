/** One second of the schedule as the report shows it: a count and percentiles in ms (1 decimal). */
export interface SecondLatency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The sample at `percentile` (0–100] of ascending `sorted` by nearest rank: the smallest one that many are at or below. */
const atRank = (sorted: Float64Array, percentile: number): number => sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)]!;

/**
 * Latency samples grouped by the second of the schedule their tweet was due in, so that a report
 * shows whether the first seconds of a run are worse than the rest (a cold start) instead of
 * folding them into one p99.
 *
 * Raw samples rather than a histogram per second: an HdrHistogram costs its full bucket array
 * (~180 KB at 3 digits) however few samples it holds, which adds up over a long run, while a
 * sample here is 8 bytes, less than the tracker already keeps per tweet and per delivery.
 */
export class LatencyBySecond {
  readonly #seconds: number[][] = [];

  /** Records one latency of a tweet due in `second` (0 = the first second of the schedule). Negative values count as 0. */
  record(second: number, ms: number): void {
    (this.#seconds[second] ??= []).push(Math.max(0, ms));
  }

  /** Seconds from 0 to the last one with a sample. */
  get seconds(): number {
    return this.#seconds.length;
  }

  /** The summary of `second`; all 0 when it has no sample. */
  at(second: number): SecondLatency {
    const samples = this.#seconds[second];
    if (!samples || samples.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
    const sorted = Float64Array.from(samples).sort();
    return { count: sorted.length, p50: round1(atRank(sorted, 50)), p99: round1(atRank(sorted, 99)), max: round1(sorted[sorted.length - 1]!) };
  }
}
