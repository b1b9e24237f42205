import { describe, expect, it } from 'vitest';
import { LatencyBySecond } from './latency-by-second.js';

describe('LatencyBySecond', () => {
  it('summarises each second by nearest rank: p50 and p99 are samples that were recorded', () => {
    const bySecond = new LatencyBySecond();
    // Second 0: 1, 2, … 100 ms, recorded out of order; second 2: one slow tweet.
    for (let ms = 100; ms >= 1; ms--) bySecond.record(0, ms);
    bySecond.record(2, 350.04);
    expect(bySecond.seconds).toBe(3);
    expect(bySecond.at(0)).toEqual({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(bySecond.at(2)).toEqual({ count: 1, p50: 350, p99: 350, max: 350 });
  });

  it('gives a second without samples, and one past the end, as zeros; a negative latency counts as 0', () => {
    const bySecond = new LatencyBySecond();
    bySecond.record(1, -0.2);
    expect(bySecond.at(0)).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
    expect(bySecond.at(1)).toEqual({ count: 1, p50: 0, p99: 0, max: 0 });
    expect(bySecond.at(5).count).toBe(0);
  });

  it('sorts numerically, not as text', () => {
    const bySecond = new LatencyBySecond();
    for (const ms of [9, 10, 100, 2]) bySecond.record(0, ms);
    expect(bySecond.at(0)).toMatchObject({ p50: 9, max: 100 });
  });
});
