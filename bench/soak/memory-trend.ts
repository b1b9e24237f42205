/**
 * Is a memory series flat? A process that leaks a little per request grows in a straight line
 * under steady load; garbage collection adds a saw-tooth on top. A least-squares line through
 * every sample after warm-up sees through the saw-tooth, where first-versus-last would report
 * whichever tooth each end landed on.
 */

/** One reading of a series. */
export interface Sample {
  /** ms since the series' origin (the start of posting). */
  t: number;
  value: number;
}

/** The slope of the least-squares line through `samples`, in value units per ms; null below two distinct times. */
export function leastSquaresSlope(samples: readonly Sample[]): number | null {
  const n = samples.length;
  if (n < 2) return null;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanV = samples.reduce((sum, s) => sum + s.value, 0) / n;
  let covariance = 0;
  let varianceT = 0;
  for (const s of samples) {
    covariance += (s.t - meanT) * (s.value - meanV);
    varianceT += (s.t - meanT) ** 2;
  }
  return varianceT === 0 ? null : covariance / varianceT;
}

/** A series after warm-up, summed up. */
export interface Trend {
  /** Samples at or after the warm-up. */
  samples: number;
  /** ms from the first to the last of them. */
  windowMs: number;
  /** Least-squares growth per minute; null with fewer than two samples. */
  slopePerMin: number | null;
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
}

/** The trend of `samples` from `fromMs` on. */
export function trendAfter(samples: readonly Sample[], fromMs: number): Trend {
  const kept = samples.filter((s) => s.t >= fromMs);
  const slope = leastSquaresSlope(kept);
  const values = kept.map((s) => s.value);
  return {
    samples: kept.length,
    windowMs: kept.length > 0 ? kept[kept.length - 1]!.t - kept[0]!.t : 0,
    slopePerMin: slope === null ? null : slope * 60_000,
    first: values[0] ?? null,
    last: values[values.length - 1] ?? null,
    min: values.length > 0 ? Math.min(...values) : null,
    max: values.length > 0 ? Math.max(...values) : null,
  };
}

/**
 * Warm-up of a run that posts for `postingMs`: the first third (at least a minute, unless the
 * run is shorter), while caches, JIT and V8's heap sizing settle.
 */
export const warmUpMs = (postingMs: number): number => Math.min(postingMs / 2, Math.max(60_000, postingMs / 3));

/**
 * Shortest window after warm-up in which a slope is judged: over less, one garbage collection
 * moves the line by more than any threshold worth setting.
 */
export const MIN_JUDGED_WINDOW_MS = 3 * 60_000;

export type Verdict = 'flat' | 'growing' | 'too short to judge';

/** Judges a trend in MB against `maxSlopePerMin`. */
export function judgeTrend(trend: Trend, maxSlopePerMin: number, minWindowMs = MIN_JUDGED_WINDOW_MS): Verdict {
  if (trend.slopePerMin === null || trend.windowMs < minWindowMs) return 'too short to judge';
  return trend.slopePerMin > maxSlopePerMin ? 'growing' : 'flat';
}
