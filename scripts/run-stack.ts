/**
 * What `npm start` and `npm run cluster` share, whatever Redis they run against: build the client
 * when its sources are newer than the build, run one server and WORKERS workers, restart a worker
 * that dies (as a real deployment would), and on Ctrl-C stop them all, the Redis last. Nothing
 * runs on import: each command decides how it gets its Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { stopChild } from './stop-child.js';

export const root = fileURLToPath(new URL('..', import.meta.url));

export const say = (line: string) => console.log(`[ripple] ${line}`);

export function fail(line: string): never {
  console.error(`[ripple] ${line}`);
  process.exit(1);
}

/** The Redis that the server and workers are to use, once it answers. */
export interface StackRedis {
  /** Added to the server's and workers' environment so that they find it (REDIS_URL, REDIS_CLUSTER_NODES). */
  env: Record<string, string>;
  /** Names it in the line that says Ripple is up. */
  label: string;
  /** Stops it, for a Redis the command started itself; called after the server and workers have exited. */
  stop?: () => Promise<void>;
}

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
  const sources = Math.max(
    newestMtime(path.join(root, 'client/src')),
    newestMtime(path.join(root, 'shared/src')),
    statSync(path.join(root, 'client/index.html')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  say('building the client…');
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) fail('the client build failed (see above)');
}

const tsEntry = (file: string) => [process.execPath, '--import', 'tsx', file];

/**
 * Builds the client if needed, lets `startRedis` make sure a Redis answers, then runs the server
 * and workers against it until Ctrl-C (or the server's exit) stops everything.
 */
export async function runStack(startRedis: () => Promise<StackRedis>): Promise<void> {
  const workerCount = Number(process.env.WORKERS ?? 2);
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(workerCount) || workerCount < 0) fail(`WORKERS must be a whole number, got "${process.env.WORKERS}"`);

  buildClientIfNeeded();

  const children = new Set<ChildProcess>();
  let redis: StackRedis | undefined;
  let stopping = false;

  function run(name: string, file: string, env: Record<string, string> = {}): ChildProcess {
    const args = tsEntry(file);
    const child = spawn(args[0]!, args.slice(1), {
      cwd: root,
      env: { ...process.env, ...redis?.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.once('error', (err) => fail(`${name} could not start: ${err.message}`));
    return child;
  }

  function runWorker(index: number): void {
    const worker = run(`worker ${index}`, 'worker/src/main.ts');
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      say(`worker ${index} exited (${signal ?? code}); restarting it`);
      setTimeout(() => !stopping && runWorker(index), 500);
    });
  }

  async function stopAll(code: number): Promise<never> {
    stopping = true;
    await Promise.all([...children].map((c) => stopChild(c, 10_000)));
    // Redis goes last, after the workers have handed back their chunks.
    await redis?.stop?.();
    say('stopped');
    process.exit(code);
  }

  // Caught already while Redis starts, so that a Ctrl-C then ends in process.exit, whose 'exit'
  // hooks can stop what was started so far (a signal's default action would skip them).
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  redis = await startRedis();
  if (stopping) return;

  const server = run('server', 'server/src/main.ts', { PORT: String(port) });
  server.once('exit', (code) => {
    if (stopping) return;
    console.error(`[ripple] the server exited (${code}); stopping everything`);
    void stopAll(1);
  });
  for (let i = 1; i <= workerCount; i++) runWorker(i);

  for (let i = 0; i < 200; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) {
      say(`Ripple is up: open http://localhost:${port}  (${workerCount} workers, ${redis.label}; Ctrl-C stops everything)`);
      break;
    }
    await delay(100);
  }
}
