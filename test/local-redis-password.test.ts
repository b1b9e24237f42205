import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { describeRedisTarget, localSecret, REDIS_PASSWORD_FILE, redisTargetFromEnv, withPassword } from '@ripple/shared/node';
import { CONFIG_FROM_STDIN, localRedisArgs, passwordConfig } from '../scripts/local-redis.js';
import { freePort } from './support/free-port.js';
import { setTimeout as delay } from 'node:timers/promises';

async function untilAnswering(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      client.destroy();
      return;
    } catch {
      await delay(100);
    }
  }
  throw new Error(`nothing answers at ${url}`);
}

describe('the Redis that npm start runs (scripts/local-redis.ts)', () => {
  it('listens on 127.0.0.1 only and answers nobody without its password, which no command line shows', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ripple-local-redis-'));
    const password = 'local-test-password';
    const child = spawn('redis-server', [...CONFIG_FROM_STDIN, ...localRedisArgs({ port: String(port), dataDir })], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(passwordConfig(password));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = `redis://127.0.0.1:${port}`;
      await untilAnswering(withPassword(url, password));
      const locked = createClient({ url, socket: { reconnectStrategy: false } });
      locked.on('error', () => {});
      await expect(locked.connect()).rejects.toThrow(/NOAUTH/);
      locked.destroy();

      const client = createClient({ url: withPassword(url, password) });
      await client.connect();
      try {
        expect(await client.ping()).toBe('PONG');
        expect(await client.configGet('bind')).toEqual({ bind: '127.0.0.1' });
      } finally {
        client.destroy();
      }
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')).not.toContain(password);
    } finally {
      child.kill('SIGKILL');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is named in log lines without its password', () => {
    const target = redisTargetFromEnv({ REDIS_URL: 'redis://:s3cret@127.0.0.1:6390' });
    expect(target).toEqual({ kind: 'single', url: 'redis://:s3cret@127.0.0.1:6390' });
    expect(describeRedisTarget(target)).toBe('redis://:***@127.0.0.1:6390');
  });

  it('is found by every tool that defaults to the local Redis, with the password npm start generated', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ripple-data-'));
    try {
      expect(redisTargetFromEnv({}, dataDir)).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
      const password = localSecret(REDIS_PASSWORD_FILE, dataDir);
      expect(redisTargetFromEnv({}, dataDir)).toEqual({ kind: 'single', url: `redis://:${password}@127.0.0.1:6379` });
      // A REDIS_URL of one's own is taken as it is.
      expect(redisTargetFromEnv({ REDIS_URL: 'redis://127.0.0.1:6390' }, dataDir)).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6390' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
