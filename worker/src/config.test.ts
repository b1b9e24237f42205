import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readWorkerConfig } from './config.js';

describe('worker settings', () => {
  it('have the documented defaults, an empty value meaning unset', () => {
    expect(readWorkerConfig({ TIMELINE_MAX: '' }).timelineMax).toBe(800);
  });

  it('refuse bad values, TIMELINE_MAX read by the same rule as the server', () => {
    expect(() => readWorkerConfig({ TIMELINE_MAX: 'x' })).toThrow(/^TIMELINE_MAX=/);
    expect(() => readWorkerConfig({ FANOUT_PAGE_SIZE: '0' })).toThrow(/^FANOUT_PAGE_SIZE=/);
  });

  it('stop the worker process at start with a non-zero exit and one line naming the setting', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const run = spawnSync(tsx, [main], {
      env: { ...process.env, FANOUT_MAX_ATTEMPTS: 'lots', REDIS_URL: 'redis://127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.status).not.toBeNull();
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('FANOUT_MAX_ATTEMPTS="lots"');
  }, 30_000);
});
