import { describe, expect, it } from 'vitest';
import { chunkRetryDelayMs } from './retries.js';

describe('chunkRetryDelayMs', () => {
  it('doubles the ceiling with each attempt, up to the cap', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5].map((a) => chunkRetryDelayMs(a, 500, 30_000, top))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(chunkRetryDelayMs(20, 500, 30_000, top)).toBe(30_000);
  });

  it('jitters between half the ceiling and the ceiling, never zero', () => {
    expect(chunkRetryDelayMs(3, 500, 30_000, () => 0)).toBe(1000);
    for (let i = 0; i < 1000; i++) {
      const d = chunkRetryDelayMs(3, 500, 30_000);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});
