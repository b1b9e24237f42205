import { describe, expect, it } from 'vitest';
import { describeTally, isExactlyOnce, tallyOnce, totalTallies } from './tally.js';

describe('tallyOnce', () => {
  it('finds nothing wrong when each expected id was seen once, in any order', () => {
    const tally = tallyOnce(['1', '2', '3'], ['3', '1', '2']);
    expect(tally).toEqual({ expected: 3, missing: [], doubled: [], unexpected: [] });
    expect(isExactlyOnce(tally)).toBe(true);
  });

  it('names what is missing, what came more than once and what was never expected', () => {
    const tally = tallyOnce(['1', '2', '3'], ['1', '1', '1', '3', '9']);
    expect(tally).toEqual({ expected: 3, missing: ['2'], doubled: [{ id: '1', times: 3 }], unexpected: ['9'] });
    expect(isExactlyOnce(tally)).toBe(false);
    expect(describeTally('f1', tally)).toBe('f1: 1 missing (2), 1 more than once (1 ×3), 1 unexpected (9)');
  });
});

describe('totalTallies', () => {
  it('adds up holders and keeps the first wrong one as an example', () => {
    const totals = totalTallies(
      new Map([
        ['a', tallyOnce(['1'], ['1'])],
        ['b', tallyOnce(['1', '2'], ['1'])],
        ['c', tallyOnce(['1'], ['1', '1'])],
      ]),
    );
    expect(totals).toEqual({ holders: 3, wrong: 2, expected: 4, missing: 1, doubled: 1, unexpected: 0, example: 'b: 1 missing (2)' });
  });
});
