import { describe, expect, it } from 'vitest';
import { OptionsError } from '../cli.js';
import { HELP, parseOptions } from './options.js';

describe('parseOptions', () => {
  it('fills in the documented defaults', () => {
    expect(parseOptions([], new Date('2026-11-30T12:00:01.500Z'))).toEqual({
      minutes: 10,
      rate: null,
      loadFraction: 0.6,
      largeAudiences: [20_000, 50_000, 100_000],
      smallAudience: [100, 5000],
      online: 40,
      calibrationFollowers: 200_000,
      drainTimeoutS: 120,
      maxRssSlopeMbPerMin: 2,
      out: 'soak-results/2026-11-30T12-00-01.json',
    });
  });

  it('reads every option', () => {
    const options = parseOptions([
      '--minutes',
      '1.5',
      '--rate',
      '50000',
      '--load',
      '0.4',
      '--large',
      '20000, 40000',
      '--small',
      '50-2000',
      '--online',
      '12',
      '--calibration',
      '50000',
      '--drain-timeout',
      '30',
      '--max-rss-slope',
      '1.5',
      '--out',
      'x/y.json',
    ]);
    expect(options).toEqual({
      minutes: 1.5,
      rate: 50_000,
      loadFraction: 0.4,
      largeAudiences: [20_000, 40_000],
      smallAudience: [50, 2000],
      online: 12,
      calibrationFollowers: 50_000,
      drainTimeoutS: 30,
      maxRssSlopeMbPerMin: 1.5,
      out: 'x/y.json',
    });
  });

  it('refuses nonsense with one line naming the flag', () => {
    expect(() => parseOptions(['--minutes', '0'])).toThrow(new OptionsError('--minutes must be a number > 0 and ≤ 1440, got "0"'));
    expect(() => parseOptions(['--rate', '0'])).toThrow(/--rate must be a number > 0/);
    expect(() => parseOptions(['--small', '5000-100'])).toThrow(/--small must be MIN-MAX/);
    expect(() => parseOptions(['--small', '100-20000'])).toThrow(/MAX ≤ 10000/);
    expect(() => parseOptions(['--large', '20000,x'])).toThrow(/--large must be a whole number/);
    expect(() => parseOptions(['--bogus'])).toThrow(OptionsError);
  });

  it('refuses a run too short for every fault, saying how long is enough', () => {
    expect(() => parseOptions(['--minutes', '0.5'])).toThrow(/--minutes 0\.5: too short .* at least 0\.9 minutes/);
  });

  it('answers help, and the help names every option', () => {
    expect(parseOptions(['-h'])).toBe('help');
    for (const flag of ['--minutes', '--rate', '--load', '--large', '--small', '--online', '--calibration', '--drain-timeout', '--max-rss-slope', '--out']) {
      expect(HELP).toContain(flag);
    }
  });
});
