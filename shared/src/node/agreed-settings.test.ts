import { describe, expect, it } from 'vitest';
import { agreementArgs, disagreementIn, SettingsDisagreeError } from './agreed-settings.js';

describe('agreed settings', () => {
  it('sends the hold field, its length, then each setting as name and value', () => {
    expect(agreementArgs('worker-a', 15_000, { TIMELINE_MAX: 800, FANOUT_CLAIM_IDLE_MS: 3000 })).toEqual([
      'holder:worker-a',
      '15000',
      'TIMELINE_MAX',
      '800',
      'FANOUT_CLAIM_IDLE_MS',
      '3000',
    ]);
  });

  it('refuses a name the script could not keep apart from others in a hold', () => {
    expect(() => agreementArgs('s', 1, { 'TIMELINE MAX': 800 })).toThrow(/not an environment setting name/);
    expect(() => agreementArgs('s', 1, { timeline_max: 800 })).toThrow(/not an environment setting name/);
  });

  it('reads agreement as no error', () => {
    expect(disagreementIn(['agreed'])).toBeNull();
  });

  it('reads a difference as an error naming the setting and both values', () => {
    const error = disagreementIn(['differs', 'TIMELINE_MAX', '800', '900']);
    expect(error).toBeInstanceOf(SettingsDisagreeError);
    expect(error).toMatchObject({ setting: 'TIMELINE_MAX', recorded: '800', mine: '900' });
    expect(error!.message).toBe(
      'TIMELINE_MAX=900 differs from TIMELINE_MAX=800, which the Ripple processes already running on this Redis use; ' +
        'every server and worker must use the same TIMELINE_MAX (to change it, stop them all first)',
    );
  });

  it('throws on a reply the script never gives, rather than taking it for agreement', () => {
    for (const reply of [null, 'agreed', [], ['agreed', 'extra'], ['differs', 'TIMELINE_MAX', '800'], ['differs', 'TIMELINE_MAX', 800, '900']]) {
      expect(() => disagreementIn(reply), JSON.stringify(reply)).toThrow(/agree-on-settings\.lua answered/);
    }
  });
});
