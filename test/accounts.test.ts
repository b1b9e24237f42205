import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { spawn } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { keys, userField } from '@ripple/shared';
import { keysOf, localSecret, privateDataDir, readLocalSecret, type RedisClient } from '@ripple/shared/node';
import { readServerConfig } from '../server/src/config.js';
import { createTokens, tokenSecretFor } from '../server/src/tokens.js';
import { openSocket, type ClientSocket } from './support/http-api.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp, keysMatching, startTestServer, TEST_TOKEN_SECRET } from './support/ripple.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let close: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  // Throttles out of the way, but for the tests that are about them.
  ({ app, redis, close } = await createTestApp(redisServer.target, { signInsPerMinute: 1000, signUpsPerHour: 0 }));
});
afterAll(async () => {
  await close();
  await redisServer.stop();
});

const storedHash = async (handle: string) => {
  const id = (await redis.hGet(keys.handles, handle))!;
  return { id, hash: (await redis.hGet(keysOf(redis).user(id), userField.pass))! };
};

/** The format passwords were stored in before argon2 (scrypt N=2^14, no parameters recorded). */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const signIn = (target: Server, handle: string, password: string, from = '10.0.0.1') =>
  request(target).post('/api/sessions').set('X-Forwarded-For', from).send({ handle, password });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('stored passwords', () => {
  it('are argon2id PHC strings at OWASP parameters', async () => {
    await signUp(app, 'phc_owner', 'a fine password');
    const { hash } = await storedHash('phc_owner');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });

  it('in the old scrypt format still open the account, and are rehashed with argon2id at that sign-in', async () => {
    const { user } = await signUp(app, 'scrypt_owner', 'placeholder');
    const old = legacyScryptHash('remembered password');
    await redis.hSet(keysOf(redis).user(user.id), userField.pass, old);

    await signIn(app, 'scrypt_owner', 'not the password').expect(401);
    expect((await storedHash('scrypt_owner')).hash).toBe(old);

    await signIn(app, 'scrypt_owner', 'remembered password').expect(200);
    const { hash } = await storedHash('scrypt_owner');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await signIn(app, 'scrypt_owner', 'remembered password').expect(200);
  });

  it('made with other argon2 parameters are rehashed at the next sign-in, and left alone when current', async () => {
    const { user } = await signUp(app, 'weak_params', 'placeholder');
    const { hash: argon2Hash } = await import('@node-rs/argon2');
    const weak = await argon2Hash('the password', { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await redis.hSet(keysOf(redis).user(user.id), userField.pass, weak);
    await signIn(app, 'weak_params', 'the password').expect(200);
    const rehashed = (await storedHash('weak_params')).hash;
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await signIn(app, 'weak_params', 'the password').expect(200);
    expect((await storedHash('weak_params')).hash).toBe(rehashed);
  });

  it('cost an unknown handle as long to refuse as a wrong password', async () => {
    await signUp(app, 'timed_owner', 'the real password');
    const time = async (handle: string) => {
      const started = performance.now();
      await signIn(app, handle, 'a wrong password').expect(401);
      return performance.now() - started;
    };
    await time('nobody_here');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time('timed_owner'));
      unknown.push(await time(`nobody_${i}`));
    }
    // Without the dummy hash an unknown handle answered in ~3 ms against ~40 ms. The bounds are
    // wide for that: another test file runs beside this one on the same cores.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(unknown)).toBeLessThan(median(known) * 2);
  });
});

describe('sign-up', () => {
  it('checks the handle before hashing: a taken handle burns no user id', async () => {
    await signUp(app, 'taken_once');
    const seqBefore = await redis.get(keys.userSeq);
    const res = await request(app).post('/api/users').send({ handle: 'TAKEN_ONCE', password: 'whatever1' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('handle_taken');
    expect(await redis.get(keys.userSeq)).toBe(seqBefore);
  });

  it('is limited per client address by RATE_LIMIT_SIGNUPS_PER_HOUR; a taken handle spends nothing', async () => {
    const node = await createTestApp(redisServer.target, { signUpsPerHour: 2 });
    try {
      const from = (address: string, handle: string) =>
        request(node.app).post('/api/users').set('X-Forwarded-For', address).send({ handle, password: 'password1' });
      await from('10.1.0.1', 'limited_1').expect(201);
      await from('10.1.0.1', 'limited_1').expect(409);
      await from('10.1.0.1', 'limited_2').expect(201);
      const refused = await from('10.1.0.1', 'limited_3');
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('RATE_LIMIT_SIGNUPS_PER_HOUR') } });
      const wait = Number(refused.headers['retry-after']);
      expect(wait).toBeGreaterThan(3500);
      expect(wait).toBeLessThanOrEqual(3600);
      // Nothing was written for the refused one, and another address is not held back.
      expect(await node.redis.hGet(keys.handles, 'limited_3')).toBeNull();
      await from('10.1.0.2', 'limited_3').expect(201);
    } finally {
      await node.close();
    }
  });

  it('reads RATE_LIMIT_SIGNUPS_PER_HOUR strictly: default 1000, 0 turns it off, anything else stops the start', () => {
    expect(readServerConfig({}).signUpsPerHour).toBe(1000);
    expect(readServerConfig({ RATE_LIMIT_SIGNUPS_PER_HOUR: '' }).signUpsPerHour).toBe(1000);
    expect(readServerConfig({ RATE_LIMIT_SIGNUPS_PER_HOUR: '0' }).signUpsPerHour).toBe(0);
    for (const bad of ['-1', '1.5', 'many']) {
      expect(() => readServerConfig({ RATE_LIMIT_SIGNUPS_PER_HOUR: bad })).toThrow('RATE_LIMIT_SIGNUPS_PER_HOUR');
    }
  });
});

describe('sign-in throttle', () => {
  it('holds back one address guessing one handle, never the owner from another address; success starts afresh', async () => {
    const node = await createTestApp(redisServer.target, { signInsPerMinute: 2, signUpsPerHour: 0 });
    try {
      await signUp(node.app, 'guarded', 'the-password');
      const attacker = '10.2.0.66';
      await signIn(node.app, 'guarded', 'wrong-guess', attacker).expect(401);
      await signIn(node.app, 'guarded', 'wrong-guess2', attacker).expect(401);
      const limited = await signIn(node.app, 'GUARDED', 'the-password', attacker);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(50);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Unknown handles are spent the same way, so guessing which exist gains nothing.
      await signIn(node.app, 'no_such_user', 'x-password', attacker).expect(401);
      await signIn(node.app, 'no_such_user', 'x-password', attacker).expect(401);
      await signIn(node.app, 'no_such_user', 'x-password', attacker).expect(429);

      const owner = '10.2.0.7';
      await signIn(node.app, 'guarded', 'mistyped', owner).expect(401);
      await signIn(node.app, 'guarded', 'the-password', owner).expect(200);
      // The success forgot the mistype: two more failures before a refusal.
      await signIn(node.app, 'guarded', 'mistyped', owner).expect(401);
      await signIn(node.app, 'guarded', 'mistyped', owner).expect(401);
      await signIn(node.app, 'guarded', 'the-password', owner).expect(429);
      // Each limiter key is one key that expires with its window.
      const limiterKeys = await keysMatching(node.redis, `${keys.limiter('sign-in')}:*`);
      expect(limiterKeys.length).toBeGreaterThan(0);
      for (const key of limiterKeys) expect(await node.redis.pTTL(key)).toBeGreaterThan(0);
    } finally {
      await node.close();
    }
  });
});

describe('tokens', () => {
  it('are refused when they claim to hold beyond the maximum lifetime', async () => {
    const { user } = await signUp(app, 'long_lived');
    const epoch = (await redis.get(keys.tokenEpoch))!;
    const ttl = readServerConfig({}).tokenTtlMs;
    const tooLong = createTokens(() => ({ secret: TEST_TOKEN_SECRET, epoch }), ttl + 5 * 60_000).issue(user.id);
    const res = await request(app).get('/api/me').set('Authorization', `Bearer ${tooLong}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    // A node whose clock runs a little ahead issues tokens that still pass here.
    const withinLifetime = createTokens(() => ({ secret: TEST_TOKEN_SECRET, epoch }), ttl + 30_000).issue(user.id);
    await request(app).get('/api/me').set('Authorization', `Bearer ${withinLifetime}`).expect(200);
  });

  it('are signed with a key that is not in Redis', async () => {
    await signUp(app, 'secret_keeper');
    const everything = await keysMatching(redis, '*');
    for (const key of everything) {
      if ((await redis.type(key)) === 'string') expect(await redis.get(key)).not.toContain(TEST_TOKEN_SECRET);
    }
    expect(everything.some((key) => key.includes('token-secret'))).toBe(false);
  });

  it('need RIPPLE_TOKEN_SECRET in production: the server exits non-zero with one line naming it', async () => {
    expect(() => tokenSecretFor(undefined, 'production')).toThrow('RIPPLE_TOKEN_SECRET');
    expect(tokenSecretFor('given', 'production')).toBe('given');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, NODE_ENV: 'production', RIPPLE_TOKEN_SECRET: '', REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('RIPPLE_TOKEN_SECRET');
  });
});

describe("a local run's generated secrets", () => {
  it('are made once, readable by the owner only (file 0600, directory 0700, tightened if older), and the same for every caller', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'ripple-secrets-'));
    try {
      const dir = path.join(parent, '.data');
      mkdirSync(dir, { mode: 0o755 });
      expect(readLocalSecret('token-secret', dir)).toBeUndefined();
      const first = localSecret('token-secret', dir);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(localSecret('token-secret', dir)).toBe(first);
      expect(readLocalSecret('token-secret', dir)).toBe(first);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, 'token-secret')).mode & 0o777).toBe(0o600);
      expect(privateDataDir(path.join(parent, 'fresh'))).toBe(path.join(parent, 'fresh'));
      expect(statSync(path.join(parent, 'fresh')).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('sockets', () => {
  const opened: ClientSocket[] = [];
  afterAll(() => opened.forEach((s) => s.close()));
  const open = async (url: string, token: string) => {
    const socket = await openSocket(url, token);
    opened.push(socket);
    return socket;
  };

  it('are dropped when their token expires', async () => {
    const node = await startTestServer(redisServer.target, { tokenTtlMs: 1500 });
    try {
      const { token } = await signUp(node.url, 'short_token');
      const socket = await open(node.url, token);
      const started = Date.now();
      const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await node.close();
    }
  });

  it('are capped per user: one over the cap is refused with connect_error "too_many_connections"', async () => {
    const node = await startTestServer(redisServer.target, { maxSocketsPerUser: 2 });
    try {
      const { token } = await signUp(node.url, 'many_tabs');
      const first = await open(node.url, token);
      await open(node.url, token);
      await expect(open(node.url, token)).rejects.toThrow('too_many_connections');
      // Someone else is not held back by it.
      const other = await signUp(node.url, 'one_tab');
      await open(node.url, other.token);
      // A closed socket frees its place.
      first.close();
      await expect
        .poll(
          async () =>
            open(node.url, token).then(
              () => true,
              () => false,
            ),
          { timeout: 3000 },
        )
        .toBe(true);
    } finally {
      await node.close();
    }
  });
});
