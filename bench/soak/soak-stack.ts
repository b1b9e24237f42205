import { randomBytes } from 'node:crypto';
import { startRedis, type TestRedis } from '../../test/support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../../test/support/processes.js';

/**
 * What the soak does to a process: `killed` ones are SIGKILLed and replaced, the `stopped`
 * worker is SIGSTOPped and resumed, `steady` ones are never touched, so their memory series
 * run unbroken from start to end.
 */
export type ProcessRole = 'killed' | 'stopped' | 'steady';

/** One life of a process between (re)starts. */
export interface Incarnation {
  pid: number;
  /** `Date.now()` when it was ready. */
  startedAt: number;
}

/** A server node or worker slot of the stack; its process changes when it is restarted. */
export interface StackProcess {
  /** e.g. `server-a`, `worker-2`. */
  readonly name: string;
  readonly kind: 'server' | 'worker';
  readonly role: ProcessRole;
  /** The running process. */
  proc: RippleProcess;
  incarnations: Incarnation[];
}

export interface ServerSlot extends StackProcess {
  readonly kind: 'server';
  /** Base URL; a restarted node listens on the same port. */
  readonly url: string;
}

/** Redis, two server nodes and three workers, all started by the soak for itself. */
export interface SoakStack {
  redis: TestRedis;
  /** `[victim, steady]`: the first is killed and restarted, the second never touched. */
  servers: [ServerSlot, ServerSlot];
  /** `[killed, stopped, steady]`. */
  workers: [StackProcess, StackProcess, StackProcess];
  /** SIGKILLs a server node or worker, waits until it is gone, and starts a new one in its slot. */
  restart(slot: StackProcess, pauseMs?: number): Promise<void>;
  /** Stops everything, worker and server processes first, then Redis (its data removed). */
  stop(): Promise<void>;
  /** SIGKILLs every process of the stack at once, synchronously: the last resort on process exit. */
  killNow: () => void;
  /** What every server and worker process ever started printed, restarted ones included. */
  logs(): ProcessLog[];
}

/** Everything one process printed. */
export interface ProcessLog {
  name: string;
  pid: number;
  output: string;
}

/** Settings every process of the stack shares. */
function sharedEnv(): Record<string, string> {
  return {
    // One secret for every node and every restart, so tokens survive anything the soak kills.
    RIPPLE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    // The soak signs up a crowd from one address; it is not what this run is about.
    RATE_LIMIT_SIGNUPS_PER_HOUR: '0',
  };
}

/**
 * How long a (re)started process or a restarted Redis may take to be ready. Generous: the box
 * is under load on purpose, and a Redis restart replays the append-only file first.
 */
const READY_TIMEOUT_MS = 60_000;

const incarnation = (proc: RippleProcess): Incarnation => ({ pid: proc.child.pid ?? -1, startedAt: Date.now() });

/**
 * Starts the stack: redis-server on a free port with its append-only file fsynced every second
 * (as `npm start` runs it), then the server nodes and workers. If any of them fails to start,
 * what did start is stopped before the error is thrown.
 */
export async function startSoakStack(): Promise<SoakStack> {
  const env = sharedEnv();
  const redis = await startRedis({ appendOnly: true, readyTimeoutMs: READY_TIMEOUT_MS });
  const started: RippleProcess[] = [];
  const everStarted: { name: string; proc: RippleProcess }[] = [];
  try {
    const serverAt = async (name: string, role: ProcessRole): Promise<ServerSlot> => {
      const proc = await spawnServer(redis.url, env, { startTimeoutMs: READY_TIMEOUT_MS });
      started.push(proc);
      everStarted.push({ name, proc });
      return { name, kind: 'server', role, proc, url: proc.url, incarnations: [incarnation(proc)] };
    };
    const workerAs = async (name: string, role: ProcessRole): Promise<StackProcess> => {
      const proc = await spawnWorker(redis.url, env, { startTimeoutMs: READY_TIMEOUT_MS });
      started.push(proc);
      everStarted.push({ name, proc });
      return { name, kind: 'worker', role, proc, incarnations: [incarnation(proc)] };
    };
    const servers: [ServerSlot, ServerSlot] = [await serverAt('server-a', 'killed'), await serverAt('server-b', 'steady')];
    const workers: [StackProcess, StackProcess, StackProcess] = [
      await workerAs('worker-1', 'killed'),
      await workerAs('worker-2', 'stopped'),
      await workerAs('worker-3', 'steady'),
    ];
    const all = (): StackProcess[] => [...workers, ...servers];
    let stopping = false;

    return {
      redis,
      servers,
      workers,
      async restart(slot, pauseMs = 1000) {
        await slot.proc.stop('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        const port = slot.kind === 'server' ? Number(new URL((slot as ServerSlot).url).port) : 0;
        const proc =
          slot.kind === 'server'
            ? await spawnServer(redis.url, env, { port, startTimeoutMs: READY_TIMEOUT_MS })
            : await spawnWorker(redis.url, env, { startTimeoutMs: READY_TIMEOUT_MS });
        // Stopped meanwhile (Ctrl-C during a fault): the newcomer must not outlive the run.
        if (stopping) await proc.stop('SIGKILL');
        slot.proc = proc;
        slot.incarnations.push(incarnation(proc));
        everStarted.push({ name: slot.name, proc });
      },
      async stop() {
        stopping = true;
        await Promise.all(
          all().map(async ({ proc }) => {
            // A stopped process acts on no signal but SIGKILL; let it run again first.
            proc.child.kill('SIGCONT');
            const exited = proc.stop('SIGTERM');
            const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
          }),
        );
        await redis.stop();
      },
      killNow() {
        for (const { proc } of all()) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
        // kill() sends its SIGKILL before its first await, so it takes effect even now.
        void redis.kill();
      },
      logs: () => everStarted.map(({ name, proc }) => ({ name, pid: proc.child.pid ?? -1, output: proc.output() })),
    };
  } catch (error) {
    await Promise.all(started.map((proc) => proc.stop('SIGKILL')));
    await redis.stop();
    throw error;
  }
}
