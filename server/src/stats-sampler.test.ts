import { describe, expect, it } from 'vitest';
import { percentile } from './stats-sampler.js';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is null without values', () => {
    expect(percentile([], 50)).toBeNull();
  });
});
