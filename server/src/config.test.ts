import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SettingError } from '@ripple/shared/node';
import { readServerConfig } from './config.js';

describe('server settings', () => {
  it('have the documented defaults, an empty value meaning unset', () => {
    const config = readServerConfig({ PORT: '', RIPPLE_DEMO: '', HOST: '' });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      metricsPort: undefined,
      demo: true,
      demoMaxFollowers: 3_000_000,
      fanoutSmallAudience: 10_000,
      fanoutMaxSmallBacklog: 500_000,
      fanoutMaxAuthorBacklog: 2_000_000,
      fanoutOnReadThreshold: 0,
      inactiveAfterDays: 0,
      timelineMax: 800,
      redis: { kind: 'single', url: 'redis://127.0.0.1:6379' },
    });
  });

  it('turn the demo off only with 0, and on only with 1', () => {
    expect(readServerConfig({ RIPPLE_DEMO: '0' }).demo).toBe(false);
    expect(readServerConfig({ RIPPLE_DEMO: '1' }).demo).toBe(true);
    for (const value of ['false', 'off', 'no', 'maybe', 'true', ' 1']) {
      expect(() => readServerConfig({ RIPPLE_DEMO: value })).toThrow(SettingError);
    }
  });

  it('take INACTIVE_AFTER_DAYS with decimals, 0 (off) or from 0.01 days', () => {
    expect(readServerConfig({ INACTIVE_AFTER_DAYS: '0.5' }).inactiveAfterDays).toBe(0.5);
    expect(readServerConfig({ INACTIVE_AFTER_DAYS: '30' }).inactiveAfterDays).toBe(30);
    expect(readServerConfig({ INACTIVE_AFTER_DAYS: '0' }).inactiveAfterDays).toBe(0);
    expect(readServerConfig({ INACTIVE_AFTER_DAYS: '0.01' }).inactiveAfterDays).toBe(0.01);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['PORT', '1e3'],
    ['METRICS_PORT', '0'],
    ['TIMELINE_MAX', '0'],
    ['FANOUT_MAX_BACKLOG', '-1'],
    ['FANOUT_SMALL_AUDIENCE', 'many'],
    ['FANOUT_MAX_AUTHOR_BACKLOG', '0x10'],
    ['FANOUT_ON_READ_THRESHOLD', '1.5'],
    ['FANOUT_ON_READ_THRESHOLD', '-3'],
    ['INACTIVE_AFTER_DAYS', '-1'],
    ['INACTIVE_AFTER_DAYS', '1e3'],
    ['INACTIVE_AFTER_DAYS', 'soon'],
    ['INACTIVE_AFTER_DAYS', '0.003'],
    ['INACTIVE_AFTER_DAYS', '0.0099'],
    ['RIPPLE_DEMO_MAX_FOLLOWERS', '3M'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_CLUSTER_NODES', 'a,b'],
    ['HOST', 'two words'],
  ])('refuse %s=%s with one line naming the setting', (name, value) => {
    expect(() => readServerConfig({ [name]: value })).toThrow(new RegExp(`^${name}="`));
  });

  it.each([
    ['RIPPLE_DEMO', 'maybe'],
    ['PORT', 'abc'],
  ])(
    'stop the server process at start with a non-zero exit and one line naming %s',
    (name, value) => {
      const main = fileURLToPath(new URL('./main.ts', import.meta.url));
      const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
      const run = spawnSync(tsx, [main], { env: { ...process.env, [name]: value, REDIS_URL: 'redis://127.0.0.1:1' }, encoding: 'utf8', timeout: 20_000 });
      expect(run.status).not.toBe(0);
      expect(run.status).not.toBeNull();
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${name}="${value}"`);
    },
    30_000,
  );
});
