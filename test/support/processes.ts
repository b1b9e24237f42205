import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { rememberProcess } from './process-logs.js';
import { TEST_INLINE_MAX, TEST_TOKEN_SECRET, targetOf, type RedisUnderTest } from './ripple.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface RippleProcess {
  child: ChildProcess;
  /** Everything the process printed, for diagnosing a failure. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a TypeScript entry point in one node process (no tsx wrapper process, so signals hit it directly). */
function spawnEntry(entry: string, env: Record<string, string>): RippleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', RIPPLE_TOKEN_SECRET: TEST_TOKEN_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  rememberProcess(
    `${entry} (pid ${child.pid})`,
    () => out,
    () => child.exitCode !== null || child.signalCode !== null,
  );
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, proc: RippleProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (proc.child.exitCode !== null) throw new Error(`${what}: process exited early\n${proc.output()}`);
    await delay(50);
  }
  // A process that never came up is nobody's to stop: kill it here, or it outlives the test run.
  await proc.stop('SIGKILL');
  throw new Error(`${what}: timed out\n${proc.output()}`);
}

export interface SpawnOptions {
  /**
   * How long the process may take to become ready; a busy machine (a soak, a loaded CI box)
   * may need longer.
   * @defaultValue 20 000 ms
   */
  startTimeoutMs?: number;
}

export interface SpawnServerOptions extends SpawnOptions {
  /**
   * Port to listen on, e.g. the port of a node that was killed, so that its clients find the
   * restarted node where the old one was.
   * @defaultValue a free port
   */
  port?: number;
}

/** The environment that points a process at a test's Redis. */
function redisEnv(redis: RedisUnderTest): Record<string, string> {
  const target = targetOf(redis);
  return target.kind === 'single' ? { REDIS_URL: target.url } : { REDIS_CLUSTER_NODES: target.nodes };
}

/** `npm run server` as a child process on a free port (or `options.port`); resolves once /healthz answers. */
export async function spawnServer(
  redis: RedisUnderTest,
  env: Record<string, string> = {},
  options: SpawnServerOptions = {},
): Promise<RippleProcess & { url: string }> {
  const port = options.port ?? (await freePort());
  const proc = spawnEntry('server/src/main.ts', { ...redisEnv(redis), PORT: String(port), FANOUT_INLINE_MAX: String(TEST_INLINE_MAX), ...env });
  const url = `http://127.0.0.1:${port}`;
  // Each probe is bounded, so that one hung request cannot carry the wait past its deadline.
  const healthy = async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.ok === true;
  await waitFor(healthy, 'server start', proc, options.startTimeoutMs);
  return { ...proc, url };
}

/** `npm run worker` as a child process; resolves once it has joined the consumer group. */
export async function spawnWorker(redis: RedisUnderTest, env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<RippleProcess> {
  const proc = spawnEntry('worker/src/main.ts', { ...redisEnv(redis), ...env });
  await waitFor(() => proc.output().includes('worker started'), 'worker start', proc, options.startTimeoutMs);
  return proc;
}
