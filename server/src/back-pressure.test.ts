import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from './back-pressure.js';

describe('retryAfterSeconds', () => {
  it('divides what must drain before the backlog is below its bound by the recent drain rate, rounding up', () => {
    expect(retryAfterSeconds(1_299_999, 1_000_000, 100_000)).toBe(3);
    expect(retryAfterSeconds(1_300_000, 1_000_000, 100_000)).toBe(4);
    expect(retryAfterSeconds(1_250_000, 1_000_000, 100_000)).toBe(3);
  });

  it('never says less than 1 second or more than 5 minutes', () => {
    expect(retryAfterSeconds(1_000_001, 1_000_000, 500_000)).toBe(1);
    expect(retryAfterSeconds(10_000_000_000, 0, 10)).toBe(300);
  });

  it('waits 10 s when nothing is draining', () => {
    expect(retryAfterSeconds(2_000, 1_000, null)).toBe(10);
    expect(retryAfterSeconds(2_000, 1_000, 0)).toBe(10);
  });
});
