import { describe, expect, it } from 'vitest';
import { OptionsError } from '../cli.js';
import { HELP, parseOptions } from './options.js';

describe('parseOptions', () => {
  it('fills in the documented defaults', () => {
    expect(parseOptions([], new Date('2026-11-28T01:02:03.456Z'))).toEqual({
      url: 'http://127.0.0.1:3000',
      authors: 10,
      followers: 1000,
      online: 20,
      rate: 50,
      durationS: 30,
      drainTimeoutS: 60,
      celebrityFollowers: 0,
      celebrityPosts: 1,
      attackers: 0,
      attackerFollowers: 1_000_000,
      attackerRate: 10,
      maxTries: 8,
      out: 'loadtest-results/2026-11-28T01-02-03',
    });
  });

  it('reads every option', () => {
    const options = parseOptions([
      '--url',
      'http://127.0.0.1:3477/',
      '--authors',
      '5',
      '--followers',
      '2000',
      '--online',
      '10',
      '--rate',
      '12.5',
      '--duration',
      '10',
      '--drain-timeout',
      '5',
      '--celebrity-followers',
      '100000',
      '--celebrity-posts',
      '3',
      '--attackers',
      '2',
      '--attacker-followers',
      '200000',
      '--attacker-rate',
      '2.5',
      '--max-tries',
      '4',
      '--out',
      'x/y',
    ]);
    expect(options).toEqual({
      url: 'http://127.0.0.1:3477',
      authors: 5,
      followers: 2000,
      online: 10,
      rate: 12.5,
      durationS: 10,
      drainTimeoutS: 5,
      celebrityFollowers: 100000,
      celebrityPosts: 3,
      attackers: 2,
      attackerFollowers: 200000,
      attackerRate: 2.5,
      maxTries: 4,
      out: 'x/y',
    });
  });

  it('refuses nonsense with one line naming the flag', () => {
    expect(() => parseOptions(['--rate', '0'])).toThrow(new OptionsError('--rate must be a number > 0, got "0"'));
    expect(() => parseOptions(['--authors', '1.5'])).toThrow(/--authors must be a whole number/);
    expect(() => parseOptions(['--url', 'ftp://x'])).toThrow(/--url must be an http\(s\) URL/);
    expect(() => parseOptions(['--bogus'])).toThrow(OptionsError);
  });

  it('gives attackers the default followers and rate when only --attackers is given', () => {
    expect(parseOptions(['--attackers', '1'])).toMatchObject({ attackers: 1, attackerFollowers: 1_000_000, attackerRate: 10 });
  });

  it('refuses an attack it could not run or judge, with one line naming the flag', () => {
    expect(() => parseOptions(['--attackers=-1'])).toThrow(new OptionsError('--attackers must be a whole number between 0 and 100, got "-1"'));
    expect(() => parseOptions(['--attackers', '101'])).toThrow(/--attackers must be a whole number between 0 and 100/);
    expect(() => parseOptions(['--attackers', 'one'])).toThrow(/--attackers must be a whole number/);
    expect(() => parseOptions(['--attackers', '1', '--attacker-followers', '0'])).toThrow(
      new OptionsError('--attacker-followers must be a whole number ≥ 1, got "0"'),
    );
    expect(() => parseOptions(['--attackers', '1', '--attacker-followers', '1e5x'])).toThrow(/--attacker-followers must be a whole number/);
    expect(() => parseOptions(['--attackers', '1', '--attacker-rate', '0'])).toThrow(new OptionsError('--attacker-rate must be a number > 0, got "0"'));
    expect(() => parseOptions(['--attackers', '1', '--attacker-rate', ''])).toThrow(/--attacker-rate must be a number > 0/);
    expect(() => parseOptions(['--attackers', '1', '--online', '0'])).toThrow(
      new OptionsError("--attackers needs --online ≥ 1: an attack is judged by the online delivery of the other authors' tweets"),
    );
  });

  it('refuses attacker settings without attackers rather than ignoring them', () => {
    expect(() => parseOptions(['--attacker-followers', '200000'])).toThrow(new OptionsError('--attacker-followers needs --attackers ≥ 1'));
    expect(() => parseOptions(['--attackers', '0', '--attacker-rate', '5'])).toThrow(new OptionsError('--attacker-rate needs --attackers ≥ 1'));
  });

  it('answers help, and the help names every option with its default', () => {
    expect(parseOptions(['--help'])).toBe('help');
    for (const flag of [
      '--url',
      '--authors',
      '--followers',
      '--online',
      '--rate',
      '--duration',
      '--drain-timeout',
      '--celebrity-followers',
      '--celebrity-posts',
      '--attackers',
      '--attacker-followers',
      '--attacker-rate',
      '--max-tries',
      '--out',
    ]) {
      expect(HELP).toMatch(new RegExp(`${flag} [\\s\\S]*?\\(default [^)]+\\)`));
    }
  });
});
