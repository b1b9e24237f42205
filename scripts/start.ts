/**
 * `npm start`: the whole of Ripple on one machine. Builds the client when its sources are newer
 * than the build, makes sure a Redis answers at REDIS_URL (starting the local redis-server with
 * an append-only file under .data/ when none does), then runs one server and WORKERS workers.
 * Ctrl-C stops them all cleanly; a worker that dies is restarted, as a real deployment would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';
import { localRedisArgs } from './local-redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const workerCount = Number(process.env.WORKERS ?? 2);
const port = Number(process.env.PORT ?? 3000);
const say = (line: string) => console.log(`[ripple] ${line}`);

function fail(line: string): never {
  console.error(`[ripple] ${line}`);
  process.exit(1);
}

if (!Number.isInteger(workerCount) || workerCount < 0) fail(`WORKERS must be a whole number, got "${process.env.WORKERS}"`);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function buildClientIfNeeded(): void {
  const built = path.join(root, 'client/dist/index.html');
  const sources = Math.max(newestMtime(path.join(root, 'client/src')), newestMtime(path.join(root, 'shared/src')), statSync(path.join(root, 'client/index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  say('building the client…');
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) fail('the client build failed (see above)');
}

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

const children = new Set<ChildProcess>();
let stopping = false;

function run(name: string, args: string[], env: Record<string, string> = {}, detached = false): ChildProcess {
  const child = spawn(args[0]!, args.slice(1), {
    cwd: root,
    env: { ...process.env, REDIS_URL: redisUrl, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', (err) => fail(`${name} could not start: ${err.message}`));
  return child;
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
  // Its own process group, so Ctrl-C reaches it only through stopAll, after the workers have
  // handed back their chunks.
  const redis = run('redis-server', ['redis-server', ...localRedisArgs({ port: redisPort || '6379', dataDir })], {}, true);
  if (!(await waitUntilReady(redisUrl, redis))) fail('redis-server did not start (is the port in use? see .data/redis.log)');
  return redis;
}

const tsEntry = (file: string) => [process.execPath, '--import', 'tsx', file];

function runWorker(index: number): void {
  const worker = run(`worker ${index}`, tsEntry('worker/src/main.ts'));
  worker.once('exit', (code, signal) => {
    if (stopping) return;
    say(`worker ${index} exited (${signal ?? code}); restarting it`);
    setTimeout(() => !stopping && runWorker(index), 500);
  });
}

/** Asks a child to stop; one that has not exited after `graceMs` is killed. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function stopAll(redis: ChildProcess | undefined, code: number): Promise<never> {
  stopping = true;
  const apps = [...children].filter((c) => c !== redis);
  await Promise.all(apps.map((c) => stopChild(c, 10_000)));
  // redis-server's SIGTERM handler flushes the append-only file before it exits.
  if (redis) await stopChild(redis, 30_000);
  say('stopped');
  process.exit(code);
}

buildClientIfNeeded();
const ownRedis = (await redisState(redisUrl)) === 'down' ? await startRedis() : undefined;
if (!ownRedis && !(await waitUntilReady(redisUrl))) fail(`the Redis at ${redisUrl} stopped answering`);
if (!ownRedis) say(`using the Redis at ${redisUrl}`);

const server = run('server', tsEntry('server/src/main.ts'), { PORT: String(port) });
server.once('exit', (code) => {
  if (stopping) return;
  console.error(`[ripple] the server exited (${code}); stopping everything`);
  void stopAll(ownRedis, 1);
});
for (let i = 1; i <= workerCount; i++) runWorker(i);

process.on('SIGINT', () => void stopAll(ownRedis, 0));
process.on('SIGTERM', () => void stopAll(ownRedis, 0));

for (let i = 0; i < 200; i++) {
  if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) {
    say(`Ripple is up: open http://localhost:${port}  (${workerCount} workers, Redis at ${redisUrl}; Ctrl-C stops everything)`);
    break;
  }
  await delay(100);
}
