import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';
import { DURABILITY_ARGS } from '../../scripts/local-redis.js';
import { freePort } from './free-port.js';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** SIGKILLs the server: no shutdown, no final AOF flush. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Append-only file with fsync every second, as `npm start` runs it. @defaultValue false */
  appendOnly?: boolean;
  /**
   * How long a (re)start may take to answer PING. A restart replays the append-only file first,
   * which after a long soak can take longer than the default allows.
   * @defaultValue about 10 s (200 tries 50 ms apart)
   */
  readyTimeoutMs?: number;
}

/** Starts a private redis-server on a free port with its data in a temporary directory. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ripple-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push(...(options.appendOnly ? DURABILITY_ARGS : ['--appendonly', 'no']));
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`redis-server exited (${code})`))));
    await Promise.race([exited, waitForPing(port, options.readyTimeoutMs)]);
    exited.catch(() => {});
  }
  async function kill(): Promise<void> {
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      // Retried: a SIGKILLed Redis's AOF-rewrite child may still be writing here (redis-cluster.ts).
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}

/** Resolves once a redis-server on `port` answers PING (not LOADING); throws after about 10 s, or `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs?: number): Promise<void> {
  const deadline = timeoutMs === undefined ? null : Date.now() + timeoutMs;
  for (let i = 0; deadline === null ? i < 200 : Date.now() < deadline; i++) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      // A restarted server answers LOADING while it replays its append-only file.
      if ((await client.ping()) === 'PONG') {
        await client.close();
        return;
      }
    } catch {
      // not up yet
    }
    try {
      client.destroy();
    } catch {
      // already closed
    }
    await delay(50);
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}
