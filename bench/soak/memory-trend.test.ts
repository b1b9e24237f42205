import { describe, expect, it } from 'vitest';
import { judgeTrend, leastSquaresSlope, MIN_JUDGED_WINDOW_MS, trendAfter, warmUpMs, type Sample } from './memory-trend.js';

const minute = 60_000;
const series = (values: number[], stepMs = 10_000): Sample[] => values.map((value, i) => ({ t: i * stepMs, value }));

describe('leastSquaresSlope', () => {
  it('is the slope of a straight line exactly', () => {
    expect(
      leastSquaresSlope([
        { t: 0, value: 100 },
        { t: 1000, value: 102 },
        { t: 2000, value: 104 },
      ]),
    ).toBeCloseTo(0.002);
  });

  it('sees through a garbage-collection saw-tooth that first-versus-last would misread', () => {
    // Flat on average, but the last tooth is at its peak.
    const sawTooth = series(Array.from({ length: 61 }, (_, i) => 100 + (i % 6) * 2));
    expect(leastSquaresSlope(sawTooth)! * minute).toBeLessThan(0.5);
    expect(sawTooth[60]!.value - sawTooth[0]!.value).toBe(0);
    const leak = series(Array.from({ length: 61 }, (_, i) => 100 + (i % 6) * 2 + i * 0.5));
    expect(leastSquaresSlope(leak)! * minute).toBeCloseTo(3, 0);
  });

  it('has no slope with fewer than two distinct times', () => {
    expect(leastSquaresSlope([])).toBeNull();
    expect(leastSquaresSlope([{ t: 5, value: 1 }])).toBeNull();
    expect(
      leastSquaresSlope([
        { t: 5, value: 1 },
        { t: 5, value: 2 },
      ]),
    ).toBeNull();
  });
});

describe('trendAfter', () => {
  it('uses only the samples from the warm-up on, per minute', () => {
    // Steep during warm-up (first 3 samples), then +1 MB per minute.
    const samples = [
      { t: 0, value: 50 },
      { t: 30_000, value: 90 },
      { t: 60_000, value: 100 },
      { t: 120_000, value: 101 },
      { t: 180_000, value: 102 },
    ];
    const trend = trendAfter(samples, 60_000);
    expect(trend).toMatchObject({ samples: 3, windowMs: 120_000, first: 100, last: 102, min: 100, max: 102 });
    expect(trend.slopePerMin).toBeCloseTo(1);
  });
});

describe('judgeTrend', () => {
  const trend = (slopePerMin: number | null, windowMs: number) => ({ samples: 10, windowMs, slopePerMin, first: 1, last: 1, min: 1, max: 1 });

  it('calls a slope above the threshold growing and one at or below it flat', () => {
    expect(judgeTrend(trend(2.5, 5 * minute), 2)).toBe('growing');
    expect(judgeTrend(trend(2, 5 * minute), 2)).toBe('flat');
    expect(judgeTrend(trend(-4, 5 * minute), 2)).toBe('flat');
  });

  it('does not judge a window too short for a slope to mean anything', () => {
    expect(judgeTrend(trend(50, MIN_JUDGED_WINDOW_MS - 1), 2)).toBe('too short to judge');
    expect(judgeTrend(trend(null, 10 * minute), 2)).toBe('too short to judge');
  });
});

describe('warmUpMs', () => {
  it('is a third of the run, at least a minute, at most half', () => {
    expect(warmUpMs(10 * minute)).toBe(200_000);
    expect(warmUpMs(2 * minute)).toBe(minute);
    expect(warmUpMs(90_000)).toBe(45_000);
  });
});
