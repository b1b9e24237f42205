/**
 * `npm start`: the whole of Ripple on one machine (scripts/run-stack.ts) on one Redis: the one at
 * REDIS_URL or, when none answers there, the local redis-server with an append-only file under
 * .data/, which it then also stops on Ctrl-C. That one listens on 127.0.0.1 only and requires the
 * password generated once into .data/redis-password, which the server and workers get in their
 * REDIS_URL, and which tools started by hand read from there (redisTargetFromEnv).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';
import { DEFAULT_REDIS_URL, localSecret, privateDataDir, readLocalSecret, redactUrl, REDIS_PASSWORD_FILE, withPassword } from '@ripple/shared/node';
import { CONFIG_FROM_STDIN, localRedisArgs, passwordConfig } from './local-redis.js';
import { fail, root, runStack, say } from './run-stack.js';
import { stopChild } from './stop-child.js';

const givenUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;

/**
 * 'loading': a Redis is there but still reading its append-only file; it will answer soon.
 * 'locked': a Redis is there and wants a password that `url` does not give.
 */
async function redisState(url: string): Promise<'ready' | 'loading' | 'locked' | 'down'> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  const stateOf = (err: unknown) => {
    const message = err instanceof Error ? err.message : '';
    return /^(NOAUTH|WRONGPASS)/.test(message) ? 'locked' : message.startsWith('LOADING') ? 'loading' : 'down';
  };
  try {
    await client.connect();
  } catch (err) {
    return stateOf(err);
  }
  try {
    await client.ping();
    return 'ready';
  } catch (err) {
    return stateOf(err);
  } finally {
    client.destroy();
  }
}

/**
 * The URL to use when a Redis answers at REDIS_URL: as given when that works (a Redis without a
 * password, as before), else with the password generated for the one an earlier `npm start` ran
 * and left running. Fails with one line when neither opens it.
 */
async function urlOfRunningRedis(): Promise<string> {
  const local = readLocalSecret(REDIS_PASSWORD_FILE);
  if (!new URL(givenUrl).password && local && (await redisState(givenUrl)) === 'locked') {
    const unlocked = withPassword(givenUrl, local);
    if ((await redisState(unlocked)) !== 'locked') return unlocked;
  }
  if ((await redisState(givenUrl)) === 'locked') {
    fail(`the Redis at ${redactUrl(givenUrl)} wants a password: put it in REDIS_URL (redis://:<password>@host:port)`);
  }
  return givenUrl;
}

/** Waits while Redis loads its data (a big append-only file takes a while); false if it never answers. */
async function waitUntilReady(url: string, child?: ChildProcess): Promise<boolean> {
  let told = false;
  for (let waited = 0; ; waited += 100) {
    const state = await redisState(url);
    if (state === 'ready') return true;
    if (state !== 'loading' && (waited > 10_000 || (child !== undefined && child.exitCode !== null))) return false;
    if (state === 'loading' && !told) {
      say('Redis is loading its data…');
      told = true;
    }
    await delay(100);
  }
}

function hasRedisBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts the local redis-server; resolves with it and the URL (password included) that opens it. */
async function startRedis(): Promise<{ redis: ChildProcess; url: string }> {
  const { hostname, port: redisPort, password: givenPassword } = new URL(givenUrl);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
    fail(`no Redis answers at ${redactUrl(givenUrl)}; start it, or unset REDIS_URL to let npm start run a local one`);
  }
  if (!hasRedisBinary()) {
    fail(
      `no Redis answers at ${redactUrl(givenUrl)} and no redis-server binary is installed: install Redis (e.g. "sudo apt install redis-server" or "brew install redis") or run "docker compose up"`,
    );
  }
  const dataDir = privateDataDir();
  const password = givenPassword ? decodeURIComponent(givenPassword) : localSecret(REDIS_PASSWORD_FILE);
  const url = withPassword(givenUrl, password);
  say(`starting redis-server on 127.0.0.1:${redisPort || 6379} (append-only file in .data/, password in .data/${REDIS_PASSWORD_FILE})`);
  // Its own process group, so Ctrl-C reaches it only through the stack's stop, after the workers
  // have handed back their chunks.
  const argv = ['redis-server', ...CONFIG_FROM_STDIN, ...localRedisArgs({ port: redisPort || '6379', dataDir })];
  const redis = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    stdio: ['pipe', 'inherit', 'inherit'],
    detached: true,
  });
  redis.once('error', (err) => fail(`redis-server could not start: ${err.message}`));
  redis.stdin.end(passwordConfig(password));
  if (!(await waitUntilReady(url, redis))) fail('redis-server did not start (is the port in use? see .data/redis.log)');
  return { redis, url };
}

await runStack(async () => {
  const own = (await redisState(givenUrl)) === 'down' ? await startRedis() : undefined;
  const redisUrl = own?.url ?? (await urlOfRunningRedis());
  if (!own && !(await waitUntilReady(redisUrl))) fail(`the Redis at ${redactUrl(redisUrl)} stopped answering`);
  if (!own) say(`using the Redis at ${redactUrl(redisUrl)}`);
  const ownRedis = own?.redis;
  return {
    env: { REDIS_URL: redisUrl },
    label: `Redis at ${redactUrl(redisUrl)}`,
    // redis-server's SIGTERM handler flushes the append-only file before it exits.
    stop: ownRedis && (() => stopChild(ownRedis, 30_000)),
  };
});
