/**
 * `npm start`: the whole of Ripple on one machine (scripts/run-stack.ts) on one Redis: the one at
 * REDIS_URL or, when none answers there, the local redis-server with an append-only file under
 * .data/, which it then also stops on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';
import { localRedisArgs } from './local-redis.js';
import { fail, root, runStack, say } from './run-stack.js';
import { stopChild } from './stop-child.js';

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** 'loading': a Redis is there but still reading its append-only file; it will answer soon. */
async function redisState(url: string): Promise<'ready' | 'loading' | 'down'> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch {
    return 'down';
  }
  try {
    await client.ping();
    return 'ready';
  } catch (err) {
    return err instanceof Error && err.message.startsWith('LOADING') ? 'loading' : 'down';
  } finally {
    client.destroy();
  }
}

/** Waits while Redis loads its data (a big append-only file takes a while); false if it never answers. */
async function waitUntilReady(url: string, child?: ChildProcess): Promise<boolean> {
  let told = false;
  for (let waited = 0; ; waited += 100) {
    const state = await redisState(url);
    if (state === 'ready') return true;
    if (state === 'down' && (waited > 10_000 || (child !== undefined && child.exitCode !== null))) return false;
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

async function startRedis(): Promise<ChildProcess> {
  const { hostname, port: redisPort } = new URL(redisUrl);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
    fail(`no Redis answers at ${redisUrl}; start it, or unset REDIS_URL to let npm start run a local one`);
  }
  if (!hasRedisBinary()) {
    fail(`no Redis answers at ${redisUrl} and no redis-server binary is installed: install Redis (e.g. "sudo apt install redis-server" or "brew install redis") or run "docker compose up"`);
  }
  const dataDir = path.join(root, '.data');
  mkdirSync(dataDir, { recursive: true });
  say(`starting redis-server on port ${redisPort || 6379} (append-only file in .data/)`);
  // Its own process group, so Ctrl-C reaches it only through the stack's stop, after the workers
  // have handed back their chunks.
  const argv = ['redis-server', ...localRedisArgs({ port: redisPort || '6379', dataDir })];
  const redis = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  redis.once('error', (err) => fail(`redis-server could not start: ${err.message}`));
  if (!(await waitUntilReady(redisUrl, redis))) fail('redis-server did not start (is the port in use? see .data/redis.log)');
  return redis;
}

await runStack(async () => {
  const ownRedis = (await redisState(redisUrl)) === 'down' ? await startRedis() : undefined;
  if (!ownRedis && !(await waitUntilReady(redisUrl))) fail(`the Redis at ${redisUrl} stopped answering`);
  if (!ownRedis) say(`using the Redis at ${redisUrl}`);
  return {
    env: { REDIS_URL: redisUrl },
    label: `Redis at ${redisUrl}`,
    // redis-server's SIGTERM handler flushes the append-only file before it exits.
    stop: ownRedis && (() => stopChild(ownRedis, 30_000)),
  };
});
