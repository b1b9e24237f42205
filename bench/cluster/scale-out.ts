/**
 * Part 1 of the cluster bench: one N-follower fan-out per configuration (topology × workers),
 * measured from outside (post → `fanout:done`) and profiled (CPU per process, time in scripts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { PostTweetResponse } from '@ripple/shared';
import { keysOf } from '@ripple/shared/node';
import { addFollowers, api, openSocket, type ClientSocket } from '../../test/support/http-api.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../../test/support/processes.js';
import { signUp } from '../../test/support/users.js';
import { kindsOf, startCpuWindow, type CpuWindow, type WatchedPids } from '../process-cpu.js';
import { freshAof } from '../aof-rewrite.js';
import { median, round, fmt, type Spread, spread } from './measure-math.js';
import { uniqueHandle, readJob, doneWatcher } from './bench-client.js';
import { TIMELINE_MAX, type Topology, topologyName, type Env, startEnv, nodeCounters, bucketsPerMaster } from './bench-env.js';

export interface NodeWork {
  port: number;
  role: string;
  /**
   * Time the node spent in scripts (EVAL/EVALSHA in INFO commandstats) during the fan-out, s:
   * wall time inside the script, so a script descheduled mid-way counts its wait too. (Commands
   * a script calls are counted again under their own names, so the rows of \`top\` overlap.)
   */
  scriptS: number;
  /** CPU-seconds of this redis-server during the fan-out (/proc). */
  cpuS: number;
  /** The commands it spent the most time in: name → { calls, s }. */
  top: Record<string, { calls: number; s: number }>;
  forks: number;
}

export interface FanOutRun {
  postToDoneMs: number;
  deliveriesPerSecond: number;
  /** The job's own enqueuedAt → finishedAt (Redis clocks). */
  jobMs: number;
  delivered: number;
  total: number;
  status: string;
  cpu: CpuWindow;
  nodes: NodeWork[];
}

export interface Ripple {
  server: RippleProcess & { url: string };
  workers: RippleProcess[];
}

export async function measureFanOut(
  env: Env,
  ripple: Ripple,
  author: { token: string },
  watcher: ReturnType<typeof doneWatcher>,
  followers: number,
  label: string,
): Promise<FanOutRun> {
  await freshAof(env.nodes.filter((n) => n.role === 'master').map((n) => env.probes.get(n.port)!));
  await delay(300);
  const master = env.nodes.filter((n) => n.role === 'master').map((n) => n.pid);
  const replica = env.nodes.filter((n) => n.role === 'replica').map((n) => n.pid);
  const watched: WatchedPids = {
    redis: master,
    ...(replica.length > 0 ? { 'redis-replica': replica } : {}),
    worker: ripple.workers.map((w) => w.child.pid!),
    server: [ripple.server.child.pid!],
  };
  const before = await nodeCounters(env);
  const window = startCpuWindow(watched, { cores: cpus().length, forkParents: env.nodes.map((n) => n.pid) });
  const started = performance.now();
  const posted = await api<PostTweetResponse>(ripple.server.url, '/api/tweets', { token: author.token, body: { text: label } });
  await watcher.wait(posted.job.id, 300_000);
  const postToDoneMs = performance.now() - started;
  const cpu = window.stop();
  const after = await nodeCounters(env);
  const job = await readJob(ripple.server.url, author.token, posted.job.id);
  const nodes: NodeWork[] = env.nodes.map((n) => {
    const a = after.get(n.port)!;
    const b = before.get(n.port)!;
    const deltas = Object.entries(a.stats)
      .map(([name, v]) => ({ name, calls: v.calls - (b.stats[name]?.calls ?? 0), usec: v.usec - (b.stats[name]?.usec ?? 0) }))
      .filter((d) => d.calls > 0)
      .sort((x, y) => y.usec - x.usec);
    return {
      port: n.port,
      role: n.role,
      scriptS: round(deltas.filter((d) => d.name === 'evalsha' || d.name === 'eval').reduce((sum, d) => sum + d.usec, 0) / 1e6, 3),
      cpuS: cpu.byProcess[`${n.role === 'master' ? 'redis' : 'redis-replica'}:${n.pid}`] ?? NaN,
      top: Object.fromEntries(deltas.slice(0, 8).map((d) => [d.name, { calls: d.calls, s: round(d.usec / 1e6, 3) }])),
      forks: a.forks - b.forks,
    };
  });
  return {
    postToDoneMs: Math.round(postToDoneMs),
    deliveriesPerSecond: Math.round(followers / (postToDoneMs / 1000)),
    jobMs: job?.finishedAt && job.enqueuedAt ? Date.parse(job.finishedAt) - Date.parse(job.enqueuedAt) : NaN,
    delivered: job?.delivered ?? NaN,
    total: job?.total ?? NaN,
    status: job?.status ?? 'unknown',
    cpu,
    nodes,
  };
}

export interface ConfigResult {
  topology: string;
  masters: number;
  replicas: number;
  workers: number;
  followers: number;
  /** master port → buckets it serves (16 buckets on a cluster, 1 on one Redis). */
  buckets: Record<string, number[]>;
  authorBucket: number;
  setupMs: number;
  first: FanOutRun;
  warm: FanOutRun[];
  warmDeliveriesPerSecond: Spread;
  warmPostToDoneMs: Spread;
  /** Median over the warm runs, kind by kind, of CPU-seconds during the fan-out. */
  warmCpuS: Record<string, number>;
  warmWallS: number;
  /** Median over warm runs of each node's time in scripts and its CPU, s, by "role:port". */
  warmScriptS: Record<string, number>;
  warmNodeCpuS: Record<string, number>;
  /** Forks (AOF rewrites) during the first and the warm runs. */
  forks: { first: number; warm: number };
  problems: string[];
}

/** What a configuration lends to measurements made on it after its fan-outs. */
export interface ExtraContext {
  env: Env;
  ripple: Ripple;
  /** The configuration's author, with its followers, and the watcher of its socket. */
  author: { token: string };
  watcher: ReturnType<typeof doneWatcher>;
  followers: number;
}

export async function fanOutConfig(
  topology: Topology,
  workerCount: number,
  followers: number,
  runs: number,
  extra?: (ctx: ExtraContext) => Promise<void>,
): Promise<ConfigResult> {
  const name = topologyName(topology);
  console.log(`\n— ${name}, ${workerCount} worker(s): starting fresh Redis …`);
  const setupStarted = performance.now();
  const env = await startEnv(topology);
  const ripple: Ripple = { server: undefined as never, workers: [] };
  let socket: ClientSocket | undefined;
  try {
    // No replica to wait for: WAIT would time out on every admission (ADMISSION_REPLICA_WAIT_MS=0).
    const replicaWait = topology.kind === 'cluster' && topology.replicas > 0 ? '20' : '0';
    ripple.server = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: replicaWait });
    const author = await signUp(ripple.server.url, uniqueHandle('bench'));
    await addFollowers(ripple.server.url, author.token, followers);
    socket = await openSocket(ripple.server.url, author.token);
    const watcher = doneWatcher(socket);
    ripple.workers = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(env.target, { TIMELINE_MAX: String(TIMELINE_MAX) })));
    const buckets = await bucketsPerMaster(env);
    const authorBucket = keysOf(env.client).layout.bucketOf(author.user.id);
    const setupMs = Math.round(performance.now() - setupStarted);
    const problems: string[] = [];
    const all: FanOutRun[] = [];
    for (let run = 0; run <= runs; run++) {
      const r = await measureFanOut(env, ripple, author, watcher, followers, `bench ${name} ${workerCount}w run ${run}`);
      if (r.status !== 'done' || r.delivered !== followers || r.total !== followers) {
        problems.push(`run ${run}: job ${r.status}, delivered ${r.delivered} of total ${r.total} (followers ${followers})`);
      }
      all.push(r);
      const redisS = (r.cpu.byKind.redis ?? 0) + (r.cpu.byKind['redis-replica'] ?? 0) + (r.cpu.byKind['redis-fork'] ?? 0);
      console.log(
        `  ${run === 0 ? 'first' : `warm ${run}`}: post→done ${fmt(r.postToDoneMs)} ms, ${fmt(r.deliveriesPerSecond)} deliveries/s; ` +
          `CPU-s redis ${redisS.toFixed(2)} worker ${(r.cpu.byKind.worker ?? 0).toFixed(2)} server ${(r.cpu.byKind.server ?? 0).toFixed(2)} ` +
          `other ${(r.cpu.byKind.other ?? 0).toFixed(2)} of ${(r.cpu.wallS * r.cpu.cores).toFixed(2)}`,
      );
    }
    const [first, ...warm] = all as [FanOutRun, ...FanOutRun[]];
    const warmCpuS: Record<string, number> = {};
    for (const kind of kindsOf(warm.map((w) => w.cpu))) warmCpuS[kind] = round(median(warm.map((w) => w.cpu.byKind[kind] ?? 0)), 2);
    const warmScriptS: Record<string, number> = {};
    const warmNodeCpuS: Record<string, number> = {};
    for (const n of env.nodes) {
      warmScriptS[`${n.role}:${n.port}`] = round(median(warm.map((w) => w.nodes.find((x) => x.port === n.port)?.scriptS ?? 0)), 2);
      warmNodeCpuS[`${n.role}:${n.port}`] = round(median(warm.map((w) => w.nodes.find((x) => x.port === n.port)?.cpuS ?? 0)), 2);
    }
    await extra?.({ env, ripple, author, watcher, followers });
    return {
      topology: name,
      masters: topology.kind === 'single' ? 1 : topology.masters,
      replicas: topology.kind === 'single' ? 0 : topology.masters * topology.replicas,
      workers: workerCount,
      followers,
      buckets,
      authorBucket,
      setupMs,
      first,
      warm,
      warmDeliveriesPerSecond: spread(warm.map((w) => w.deliveriesPerSecond)),
      warmPostToDoneMs: spread(warm.map((w) => w.postToDoneMs)),
      warmCpuS,
      warmWallS: round(median(warm.map((w) => w.cpu.wallS)), 2),
      warmScriptS,
      warmNodeCpuS,
      forks: { first: first.nodes.reduce((s, n) => s + n.forks, 0), warm: warm.reduce((s, w) => s + w.nodes.reduce((t, n) => t + n.forks, 0), 0) },
      problems,
    };
  } catch (err) {
    printOutputs([ripple.server, ...ripple.workers]);
    throw err;
  } finally {
    socket?.close();
    await Promise.allSettled(ripple.workers.map((w) => w.stop()));
    await ripple.server?.stop();
    await env.stop();
  }
}

/** Saves what each process printed under a new temporary directory; returns its path. */
export function saveOutputs(label: string, processes: (RippleProcess | undefined)[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ripple-bench-${label}-`));
  for (const p of processes) if (p) writeFileSync(path.join(dir, `${p.child.pid}.log`), p.output());
  return dir;
}

/** The last lines each process printed, for a configuration that failed. */
export function printOutputs(processes: (RippleProcess | undefined)[]): void {
  for (const p of processes) {
    if (!p) continue;
    const lines = p.output().trimEnd().split('\n').slice(-15);
    console.error(`--- last lines of pid ${p.child.pid} ---\n${lines.join('\n')}`);
  }
}

/**
 * Runs one configuration, and once more on fresh processes if it fails: on this shared 2-core box
 * a CPU-starved cluster node can miss its 1 s node timeout and be failed over under the bench.
 */
export async function retryOnce<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    console.error(`  ${what} failed (${err instanceof Error ? err.message : String(err)}); once more on fresh processes`);
    return run();
  }
}
