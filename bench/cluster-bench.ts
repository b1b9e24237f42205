/**
 * `npm run bench -- --cluster`: Ripple on a Redis Cluster against Ripple on one Redis, on this
 * machine (issue #10). Three parts, each on fresh Redis processes (append-only file on, as
 * `npm start` and `npm run cluster` run them):
 *
 * 1. scale-out: deliveries/s of one N-follower fan-out on one (non-cluster) Redis and on clusters
 *    of 1, 2 and 3 masters without replicas, for each worker process count; in the same run the
 *    bare in-Redis loop (bench/bare-loop.ts) on 1 Redis and on 3 at once, plain and cluster-mode,
 *    which says what the box allows, and redis-benchmark's ZADD for reference. Every fan-out is
 *    profiled: CPU-seconds of each redis-server (and its AOF rewrite forks), worker and server
 *    process during it (/proc, bench/process-cpu.ts), the rest of the box ("other": a shared
 *    machine), and the time each Redis spent in scripts (INFO commandstats).
 * 2. replicas: the same fan-out on 3 masters + 3 replicas, and the accept latency of small tweets
 *    (POST /api/tweets) with ADMISSION_REPLICA_WAIT_MS=20 against 0, posts alternating between two
 *    server processes on the same cluster, idle and during a fan-out; and, for comparison, a bare
 *    write + `WAIT 1 20` on a plain connection to each master.
 * 3. failover: on 3 + 3, a master is SIGKILLed in the middle of an N-follower fan-out with more
 *    tweets queued while a client keeps posting every ~100 ms: kill → promotion, kill → every job
 *    done, the longest any request waited; then a sample of timelines is checked.
 *
 * Each configuration's first fan-out after the fresh start (brand-new timeline keys, processes
 * just started) is reported apart from the warm ones (keys that exist), of which the median and
 * the spread (min–max) are reported. Prints tables and saves JSON under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient, type RedisClientType } from 'redis';
import { seqFromTweetId, statsField, type FanoutDone, type Job, type PostTweetResponse } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog, readCounters } from '../server/src/store/bucket-totals.js';
import { addFollowers, api, openSocket, type ClientSocket } from '../test/support/http-api.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../test/support/processes.js';
import { startRedisCluster, type TestRedisCluster } from '../test/support/redis-cluster.js';
import { startRedis, type TestRedis } from '../test/support/redis-server.js';
import { connectedClient, type RedisUnderTest } from '../test/support/ripple.js';
import { followerIds } from '../test/support/timelines.js';
import { signUp } from '../test/support/users.js';
import { BARE_PAGE, startBareLoops, type BareLoops, type BareMode, type BarePass } from './bare-loop.js';
import { kindsOf, startCpuWindow, type CpuWindow, type WatchedPids } from './process-cpu.js';
import { freshAof, settleAof } from './aof-rewrite.js';
import { stopRedisProcesses } from './redis-teardown.js';
import { redisZaddOpsPerSecond } from './redis-yardstick.js';

const HELP = `npm run bench -- --cluster [options]
  --followers N          audience of each measured fan-out (default 1000000)
  --runs N               warm fan-outs per configuration, after the first (default 3)
  --workers N[,N…]       worker process counts to compare (default 2,3)
  --masters N[,N…]       cluster sizes for the scale-out (default 1,2,3)
  --parts LIST           any of scale,replicas,failover (default all three)
  --failover-followers N audience of the failover's fan-out (default --followers)
  --posts N              small tweets per WAIT setting and mode in the latency test (default 200)
  --skip-yardsticks      no bare loop or ZADD yardstick (exploratory runs; the ratios need them)`;

const TIMELINE_MAX = 800;
/** Small tweets' authors in the latency test, and their followers. */
const LATENCY_AUTHORS = 20;
const LATENCY_FOLLOWERS = 10;
const LATENCY_CONCURRENCY = 4;
/** The contract: every request answers within this, failover or not. */
const REQUEST_BOUND_MS = 10_000;

type Topology = { kind: 'single' } | { kind: 'cluster'; masters: number; replicas: number };
const topologyName = (t: Topology) => (t.kind === 'single' ? 'one Redis' : `cluster ${t.masters}m${t.replicas > 0 ? `+${t.masters * t.replicas}r` : ''}`);

// ---------------------------------------------------------------------------------------------
// small helpers

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const uniqueHandle = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 20);

interface Spread {
  median: number;
  min: number;
  max: number;
}
const spread = (xs: readonly number[]): Spread => ({ median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) });
const showSpread = (s: Spread, f: (n: number) => string = fmt) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

interface TimedPost {
  status: number;
  ms: number;
  body: Partial<PostTweetResponse> & { error?: { code: string } };
}

/** POST /api/tweets with a bound on the wait; a request that fails without an answer is status 0. */
async function timedPost(base: string, token: string, text: string, timeoutMs = REQUEST_BOUND_MS + 5_000): Promise<TimedPost> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/tweets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as TimedPost['body'];
    return { status: res.status, ms: performance.now() - started, body };
  } catch {
    return { status: 0, ms: performance.now() - started, body: {} };
  }
}

async function readJob(base: string, token: string, jobId: string): Promise<Job | null> {
  try {
    const res = await fetch(`${base}/api/jobs/${jobId}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
    return res.ok ? ((await res.json()) as { job: Job }).job : null;
  } catch {
    return null;
  }
}

/** Collects `fanout:done` (and `fanout:failed`) on an author's socket, so a waiter never misses one. */
function doneWatcher(socket: ClientSocket) {
  const seen = new Map<string, FanoutDone | Error>();
  const waiters = new Map<string, (value: FanoutDone | Error) => void>();
  const settle = (jobId: string, value: FanoutDone | Error) => {
    seen.set(jobId, value);
    waiters.get(jobId)?.(value);
  };
  socket.on('fanout:done', (done) => settle(done.jobId, done));
  socket.on('fanout:failed', (failed) => settle(failed.jobId, new Error(`job ${failed.jobId} failed: ${failed.error}`)));
  return {
    wait(jobId: string, timeoutMs: number): Promise<FanoutDone> {
      return new Promise((resolve, reject) => {
        const finish = (value: FanoutDone | Error) => {
          clearTimeout(timer);
          waiters.delete(jobId);
          if (value instanceof Error) reject(value);
          else resolve(value);
        };
        const timer = setTimeout(() => finish(new Error(`no fanout:done for job ${jobId} within ${timeoutMs} ms`)), timeoutMs);
        const already = seen.get(jobId);
        if (already) finish(already);
        else waiters.set(jobId, finish);
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis under test: one redis-server or a cluster, with a plain connection to every node

interface RedisNode {
  port: number;
  pid: number;
  role: 'master' | 'replica';
}

interface Env {
  topology: Topology;
  target: RedisUnderTest;
  /** A Ripple client (keysOf works on it) for the bench's own reads. */
  client: RedisClient;
  nodes: RedisNode[];
  cluster?: TestRedisCluster;
  /** A plain connection per node port, for INFO. */
  probes: Map<number, RedisClientType>;
}

async function probe(port: number): Promise<RedisClientType> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => {});
  await client.connect();
  return client;
}

const infoField = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

async function startEnv(topology: Topology): Promise<Env & { stop(): Promise<void> }> {
  let single: TestRedis | undefined;
  let cluster: TestRedisCluster | undefined;
  let ports: number[];
  let target: RedisUnderTest;
  if (topology.kind === 'single') {
    single = await startRedis({ appendOnly: true });
    ports = [single.port];
    target = single.url;
  } else {
    cluster = await startRedisCluster({ masters: topology.masters, replicasPerMaster: topology.replicas });
    ports = cluster.ports;
    target = { kind: 'cluster', nodes: cluster.seedNodes.join(',') };
  }
  const probes = new Map<number, RedisClientType>();
  let client: RedisClient | undefined;
  let pids: number[] = [];
  const stop = async () => {
    // A rewrite in progress would outlive its SIGKILLed redis-server (bench/redis-teardown.ts).
    await settleAof([...probes.values()], 30_000);
    await Promise.allSettled([...probes.values()].map((p) => p.close()));
    await client?.close().catch(() => {});
    await stopRedisProcesses(async () => {
      await single?.stop();
      await cluster?.stop();
    }, pids, [single?.dir ?? cluster?.dir ?? '']);
  };
  try {
    for (const port of ports) probes.set(port, await probe(port));
    client = await connectedClient(target, 0);
    const nodes: RedisNode[] = [];
    for (const [port, p] of probes) {
      const pid = Number(infoField(await p.info('server'), 'process_id'));
      const role = infoField(await p.info('replication'), 'role') === 'slave' ? 'replica' : 'master';
      nodes.push({ port, pid, role });
    }
    pids = nodes.map((n) => n.pid);
    return { topology, target, client, nodes, cluster, probes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until no node is rewriting its append-only file (a fork that copies the data set). */
const settleEnvAof = (env: Env) => settleAof([...env.probes.values()]);

type CommandStats = Record<string, { calls: number; usec: number }>;

async function commandStats(p: RedisClientType): Promise<CommandStats> {
  const out: CommandStats = {};
  for (const m of (await p.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

async function nodeCounters(env: Env): Promise<Map<number, { stats: CommandStats; forks: number }>> {
  const out = new Map<number, { stats: CommandStats; forks: number }>();
  for (const [port, p] of env.probes) {
    out.set(port, { stats: await commandStats(p), forks: Number(infoField(await p.info('stats'), 'total_forks') ?? 0) });
  }
  return out;
}

/** Where each bucket lives: master port → buckets. */
async function bucketsPerMaster(env: Env): Promise<Record<string, number[]>> {
  const k = keysOf(env.client);
  const out: Record<string, number[]> = {};
  for (const b of k.layout.all) {
    const port = env.cluster ? (await env.cluster.masterOf(k.backlog(b))).port : env.nodes[0]!.port;
    (out[String(port)] ??= []).push(b);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// one fan-out, measured and profiled

interface NodeWork {
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

interface FanOutRun {
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

interface Ripple {
  server: RippleProcess & { url: string };
  workers: RippleProcess[];
}

async function measureFanOut(env: Env, ripple: Ripple, author: { token: string }, watcher: ReturnType<typeof doneWatcher>, followers: number, label: string): Promise<FanOutRun> {
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

interface ConfigResult {
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
interface ExtraContext {
  env: Env;
  ripple: Ripple;
  /** The configuration's author, with its followers, and the watcher of its socket. */
  author: { token: string };
  watcher: ReturnType<typeof doneWatcher>;
  followers: number;
}

async function fanOutConfig(
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
function saveOutputs(label: string, processes: (RippleProcess | undefined)[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ripple-bench-${label}-`));
  for (const p of processes) if (p) writeFileSync(path.join(dir, `${p.child.pid}.log`), p.output());
  return dir;
}

/** The last lines each process printed, for a configuration that failed. */
function printOutputs(processes: (RippleProcess | undefined)[]): void {
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
async function retryOnce<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    console.error(`  ${what} failed (${err instanceof Error ? err.message : String(err)}); once more on fresh processes`);
    return run();
  }
}

// ---------------------------------------------------------------------------------------------
// part 1b: the bare loop on 1 Redis and on 3 at once, and the ZADD yardstick

type BareSetName = 'plain 1' | 'plain 3' | 'cluster 1' | 'cluster 3';
const BARE_SETS: { name: BareSetName; processes: number; mode: BareMode }[] = [
  { name: 'plain 1', processes: 1, mode: 'plain' },
  { name: 'plain 3', processes: 3, mode: 'plain' },
  { name: 'cluster 1', processes: 1, mode: 'cluster' },
  { name: 'cluster 3', processes: 3, mode: 'cluster' },
];

interface BareSetResult {
  newKeys: BarePass;
  existingKeys: BarePass[];
  existingPerSecond: Spread;
  /** Medians over the warm passes: CPU-seconds of the redis-servers, of the rest of the box, wall s. */
  cpu: { redisS: number; otherS: number; wallS: number; perProcessS: number[] };
}

interface BareResult {
  followers: number;
  page: number;
  sets: Record<string, BareSetResult>;
  /** 3 processes at once ÷ 1 process, existing keys (medians) and new keys, plain and cluster-mode. */
  ratios: { plainExisting: number; plainNew: number; clusterExisting: number; clusterNew: number };
}

async function bareLoopYardstick(followers: number, runs: number): Promise<BareResult> {
  console.log(
    `\n— bare loop: one Lua call per ${BARE_PAGE} ids (ZRANGE BYSCORE + LPUSH + lazy LTRIM), ${fmt(followers)} ids on 1 Redis and split over 3 at once; ` +
      'plain redis-servers and cluster-mode masters …',
  );
  const sets = new Map<BareSetName, BareLoops>();
  try {
    for (const set of BARE_SETS) sets.set(set.name, await startBareLoops(set.processes, followers, TIMELINE_MAX, set.mode));
    const passes = new Map<BareSetName, { pass: BarePass; cpu: CpuWindow; pids: number[] }[]>(BARE_SETS.map((x) => [x.name, []]));
    let value = 9_000_000_000_000;
    // Set after set within each pass, so that the box's drift hits every set alike.
    for (let pass = 0; pass <= runs; pass++) {
      for (const [name, set] of sets) {
        await set.settle();
        await delay(200);
        const window = startCpuWindow({ redis: set.pids }, { cores: cpus().length, forkParents: set.pids });
        const result = await set.pass(String(value++));
        const cpu = window.stop();
        passes.get(name)!.push({ pass: result, cpu, pids: set.pids });
        console.log(
          `  ${name.padEnd(9)} ${pass === 0 ? 'new keys     ' : 'existing keys'}: ${fmt(result.perSecond).padStart(9)} LPUSH/s (${result.perProcessMs.join(', ')} ms); ` +
            `CPU-s redis ${(cpu.byKind.redis ?? 0).toFixed(2)}, redis-fork ${(cpu.byKind['redis-fork'] ?? 0).toFixed(2)}, other ${(cpu.byKind.other ?? 0).toFixed(2)}`,
        );
      }
    }
    const out: Record<string, BareSetResult> = {};
    for (const [name, list] of passes) {
      const warm = list.slice(1);
      out[name] = {
        newKeys: list[0]!.pass,
        existingKeys: warm.map((w) => w.pass),
        existingPerSecond: spread(warm.map((w) => w.pass.perSecond)),
        cpu: {
          redisS: round(median(warm.map((w) => w.cpu.byKind.redis ?? 0)), 2),
          otherS: round(median(warm.map((w) => w.cpu.byKind.other ?? 0)), 2),
          wallS: round(median(warm.map((w) => w.cpu.wallS)), 2),
          perProcessS: warm[0]!.pids.map((pid) => round(median(warm.map((w) => w.cpu.byProcess[`redis:${pid}`] ?? 0)), 2)),
        },
      };
    }
    const ratio = (a: BareSetName, b: BareSetName, which: 'new' | 'existing') =>
      round(which === 'new' ? out[a]!.newKeys.perSecond / out[b]!.newKeys.perSecond : out[a]!.existingPerSecond.median / out[b]!.existingPerSecond.median, 2);
    return {
      followers,
      page: BARE_PAGE,
      sets: out,
      ratios: {
        plainExisting: ratio('plain 3', 'plain 1', 'existing'),
        plainNew: ratio('plain 3', 'plain 1', 'new'),
        clusterExisting: ratio('cluster 3', 'cluster 1', 'existing'),
        clusterNew: ratio('cluster 3', 'cluster 1', 'new'),
      },
    };
  } finally {
    for (const set of sets.values()) await set.stop();
  }
}

const ZADD_COMMAND = 'redis-benchmark -t zadd -P 128 -r 1000000 -n 1000000 -q';
async function zaddYardstick(): Promise<number> {
  const redis = await startRedis({ appendOnly: true });
  try {
    return redisZaddOpsPerSecond(redis.port, 1_000_000);
  } finally {
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// part 2b: what WAIT costs a small tweet's accept

interface LatencySample {
  waitMs: number;
  mode: string;
  ms: number;
  status: number;
}

interface LatencySummary {
  waitMs: number;
  mode: string;
  posts: number;
  non202: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

interface RawWaitSummary {
  mode: string;
  samples: number;
  /** WAIT 1 20 answered 0: no replica confirmed within 20 ms. */
  timedOut: number;
  p50: number;
  p99: number;
  max: number;
}

interface LatencyResult {
  authors: number;
  followersEach: number;
  summary: LatencySummary[];
  /** POSTs answered by the server with ADMISSION_REPLICA_WAIT_MS=20, warm-up included. */
  postsWithWait: number;
  /** Admissions counted unreplicated (ripple_admission_unreplicated_total) meanwhile. */
  unreplicated: number;
  /** The same write + `WAIT 1 20` on a plain connection to each master: what a working WAIT costs. */
  rawWait: RawWaitSummary[];
  /** The fan-out that ran under the "during fan-out" modes. */
  duringFanOutMs: number[];
}

const summarize = (xs: readonly number[]) => ({
  p50: round(percentile(xs, 50), 2),
  p90: round(percentile(xs, 90), 2),
  p99: round(percentile(xs, 99), 2),
  max: round(Math.max(...xs), 2),
  mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 2),
});

/** A plain connection per master and a key it serves, for `WAIT` measured without Ripple. */
async function rawWaitProbes(env: Env): Promise<{ client: RedisClientType; key: string }[]> {
  const out: { client: RedisClientType; key: string }[] = [];
  for (const master of await env.cluster!.masters()) {
    const client = await probe(master.port);
    for (let i = 0; ; i++) {
      const slot = Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', `bench:wait:${i}`]));
      if (master.slots.some(([from, to]) => slot >= from && slot <= to)) {
        out.push({ client, key: `bench:wait:${i}` });
        break;
      }
    }
  }
  return out;
}

/** `INCR key` then `WAIT 1 20` on each master in turn, until `until()` says stop. */
async function rawWaitLoop(probes: { client: RedisClientType; key: string }[], mode: string, until: (n: number) => boolean): Promise<RawWaitSummary> {
  const ms: number[] = [];
  let timedOut = 0;
  for (let i = 0; !until(i); i++) {
    const { client, key } = probes[i % probes.length]!;
    await client.incr(key);
    const started = performance.now();
    const replicas = Number(await client.sendCommand(['WAIT', '1', '20']));
    ms.push(performance.now() - started);
    if (replicas < 1) timedOut++;
    await delay(2);
  }
  const { p50, p99, max } = summarize(ms);
  return { mode, samples: ms.length, timedOut, p50, p99, max };
}

async function acceptLatency({ env, ripple, author, watcher, followers }: ExtraContext, posts: number): Promise<LatencyResult> {
  console.log(`\n— accept latency on ${topologyName(env.topology)}: small tweets, ADMISSION_REPLICA_WAIT_MS=20 vs 0 on two server processes, alternating …`);
  const noWait = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: '0' });
  const probes = await rawWaitProbes(env);
  try {
    const servers: Record<number, string> = { 20: ripple.server.url, 0: noWait.url };
    const authors: Awaited<ReturnType<typeof signUp>>[] = [];
    for (let i = 0; i < LATENCY_AUTHORS; i++) {
      const a = await signUp(ripple.server.url, uniqueHandle(`lat${i}`));
      await addFollowers(ripple.server.url, a.token, LATENCY_FOLLOWERS);
      authors.push(a);
    }
    await settleEnvAof(env);
    const unreplicatedBefore = (await readCounters(env.client))[statsField.unreplicated] ?? 0;
    const samples: LatencySample[] = [];
    let postsWithWait = 0;
    let n = 0;
    const one = async (waitMs: number, mode: string) => {
      const a = authors[n++ % LATENCY_AUTHORS]!;
      const r = await timedPost(servers[waitMs]!, a.token, `latency ${mode} ${waitMs}`);
      if (waitMs === 20) postsWithWait++;
      samples.push({ waitMs, mode, ms: r.ms, status: r.status });
    };
    // Warm both servers' connections and JIT before measuring.
    for (let i = 0; i < 20; i++) await one(i % 2 ? 0 : 20, 'warm-up');
    const idleSeq = 'idle, sequential';
    const idleConc = `idle, ${LATENCY_CONCURRENCY} concurrent`;
    const during = `during ${kShort(followers)} fan-out, seq.`;
    for (let i = 0; i < posts * 2; i++) await one(i % 2 ? 0 : 20, idleSeq);
    await Promise.all(
      Array.from({ length: LATENCY_CONCURRENCY }, async (_, c) => {
        for (let i = 0; i < (posts * 2) / LATENCY_CONCURRENCY; i++) await one((i + c) % 2 ? 0 : 20, idleConc);
      }),
    );
    // While the configuration's author fans out to every follower: the accept latency that users
    // see while a celebrity's tweet is being delivered.
    const duringFanOutMs: number[] = [];
    const underFanOut = async (work: (done: () => boolean) => Promise<void>) => {
      await settleEnvAof(env);
      const started = performance.now();
      const posted = await api<PostTweetResponse>(ripple.server.url, '/api/tweets', { token: author.token, body: { text: 'latency under load' } });
      let finished = false;
      const done = watcher.wait(posted.job.id, 300_000).finally(() => {
        finished = true;
        duringFanOutMs.push(Math.round(performance.now() - started));
      });
      await work(() => finished);
      await done;
    };
    await underFanOut(async (finished) => {
      for (let i = 0; !finished(); i++) await one(i % 2 ? 0 : 20, during);
    });
    const unreplicated = ((await readCounters(env.client))[statsField.unreplicated] ?? 0) - unreplicatedBefore;

    const rawWait: RawWaitSummary[] = [];
    rawWait.push(await rawWaitLoop(probes, 'idle', (i) => i >= posts));
    await underFanOut(async (finished) => {
      rawWait.push(await rawWaitLoop(probes, `during ${kShort(followers)} fan-out`, () => finished()));
    });

    const summary: LatencySummary[] = [];
    for (const mode of [idleSeq, idleConc, during]) {
      for (const waitMs of [20, 0]) {
        const mine = samples.filter((x) => x.mode === mode && x.waitMs === waitMs);
        summary.push({ waitMs, mode, posts: mine.length, non202: mine.filter((x) => x.status !== 202).length, ...summarize(mine.map((x) => x.ms)) });
      }
    }
    for (const x of summary) console.log(`  ${x.mode.padEnd(28)} WAIT ${String(x.waitMs).padStart(2)} ms: p50 ${x.p50} ms, p90 ${x.p90}, p99 ${x.p99}, max ${x.max} (${x.posts} posts, ${x.non202} not 202)`);
    console.log(`  admissions counted unreplicated: ${unreplicated} of ${postsWithWait} answered with WAIT 20`);
    for (const x of rawWait) console.log(`  raw INCR + WAIT 1 20 per master, ${x.mode}: p50 ${x.p50} ms, p99 ${x.p99}, max ${x.max}; ${x.timedOut} of ${x.samples} timed out`);
    return { authors: LATENCY_AUTHORS, followersEach: LATENCY_FOLLOWERS, summary, postsWithWait, unreplicated, rawWait, duringFanOutMs };
  } finally {
    await Promise.allSettled(probes.map((p) => p.client.close()));
    await noWait.stop();
  }
}

const kShort = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 ? `${Math.round(n / 1000)}K` : String(n));

// ---------------------------------------------------------------------------------------------
// part 3: a master SIGKILLed mid-fan-out

interface FailoverPost {
  sinceKillMs: number;
  ms: number;
  status: number;
  /** The author's bucket was on the killed master. */
  onVictim: boolean;
}

interface FailoverResult {
  followers: number;
  workers: number;
  victimPort: number;
  victimBuckets: number[];
  promotedPort: number | null;
  killedAtDelivered: number;
  killToPromotionMs: number | null;
  /** Until every job accepted before the kill was done. */
  killToQueuedJobsDoneMs: number | null;
  /** Until every job accepted before and during the failover was done. */
  killToAllJobsDoneMs: number | null;
  /** The first tweet accepted after the kill by an author whose bucket was on the killed master. */
  killToFirstAcceptOnVictimMs: number | null;
  posts: { total: number; accepted: number; unavailable503: number; other: number; longestMs: number; longestOnVictimMs: number; longestElsewhereMs: number };
  jobs: { accepted: number; done: number; notDone: string[] };
  unreplicated: number;
  afterFailover: { postToDoneMs: number; deliveriesPerSecond: number } | null;
  check: { sampledFollowers: number; wrongTimelines: number; example: string; backlogAfter: number };
  timeline: FailoverPost[];
  /** Every accepted job: when (ms after the kill) it was accepted and seen done. */
  jobTimes: { jobId: string; author: 'celebrity' | 'small'; acceptedMs: number; doneMs: number | null; status: string | null }[];
  /** The celebrity's first jobs' delivered counts every ~500 ms from the kill on. */
  progress: { ms: number; delivered: (number | null)[] }[];
  /** Where the server's and workers' output was saved. */
  logsDir: string;
}

async function failover(workerCount: number, followers: number): Promise<FailoverResult> {
  const topology: Topology = { kind: 'cluster', masters: 3, replicas: 1 };
  console.log(`\n— failover on ${topologyName(topology)}, ${workerCount} worker(s), ${fmt(followers)} followers …`);
  const env = await startEnv(topology);
  const cluster = env.cluster!;
  const k = keysOf(env.client);
  let server: (RippleProcess & { url: string }) | undefined;
  let workers: RippleProcess[] = [];
  try {
    server = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: '20' });
    const url = server.url;
    const celebrity = await signUp(url, uniqueHandle('failover'));
    await addFollowers(url, celebrity.token, followers);
    // The master that will die: the one holding the celebrity's bucket (its jobs, its lanes).
    const victimPort = (await cluster.masterOf(k.backlog(k.layout.bucketOf(celebrity.user.id)))).port;
    const bucketPorts = await bucketsPerMaster(env);
    const victimBuckets = bucketPorts[String(victimPort)] ?? [];
    // Small authors: three whose bucket is on the victim, three elsewhere.
    const small: Awaited<ReturnType<typeof signUp>>[] = [];
    let onVictim = 0;
    let elsewhere = 0;
    for (let i = 0; (onVictim < 3 || elsewhere < 3) && i < 200; i++) {
      const a = await signUp(url, uniqueHandle(`fsmall${i}`));
      const mine = victimBuckets.includes(k.layout.bucketOf(a.user.id));
      if (mine ? onVictim >= 3 : elsewhere >= 3) continue;
      if (mine) onVictim++;
      else elsewhere++;
      await addFollowers(url, a.token, 50);
      small.push(a);
    }
    const isOnVictim = (userId: string) => victimBuckets.includes(k.layout.bucketOf(userId));
    workers = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(env.target, { TIMELINE_MAX: String(TIMELINE_MAX) })));
    await settleEnvAof(env);
    const unreplicatedBefore = (await readCounters(env.client))[statsField.unreplicated] ?? 0;

    type Accepted = { token: string; authorId: string; jobId: string; tweetId: string; acceptedAt: number; doneAt?: number; status?: string };
    const accepted: Accepted[] = [];
    const accept = (author: { token: string; user: { id: string } }, r: TimedPost) => {
      if (r.status === 202 && r.body.job && r.body.tweet) {
        accepted.push({ token: author.token, authorId: author.user.id, jobId: r.body.job.id, tweetId: r.body.tweet.id, acceptedAt: performance.now() });
      }
    };
    const first = await timedPost(url, celebrity.token, 'failover: the big one');
    if (first.status !== 202) throw new Error(`the first celebrity tweet was refused: ${first.status} ${JSON.stringify(first.body)}`);
    accept(celebrity, first);
    // More tweets queued behind it: another big one and the small authors'.
    accept(celebrity, await timedPost(url, celebrity.token, 'failover: and again'));
    for (const s of small) accept(s, await timedPost(url, s.token, 'failover: small, queued'));
    const queuedBeforeKill = accepted.length;

    const firstJob = first.body.job!.id;
    let killedAtDelivered = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(10)) {
      const job = await readJob(url, celebrity.token, firstJob);
      if (job && job.delivered >= followers / 10) {
        killedAtDelivered = job.delivered;
        break;
      }
    }
    const victim = await cluster.masterOf(k.job(firstJob));
    if (victim.port !== victimPort) throw new Error(`the job's master is ${victim.port}, expected ${victimPort}`);
    await cluster.killNode(victim.port);
    const killedAt = performance.now();
    console.log(`  SIGKILLed master ${victim.port} (buckets ${victimBuckets.join(',')}) at ${fmt(killedAtDelivered)} delivered`);

    // Promotion: a live master serves the job's slot again.
    let promotedAt: number | null = null;
    let promotedPort: number | null = null;
    const promotion = (async () => {
      while (performance.now() - killedAt < 60_000) {
        const owner = await cluster.masterOf(k.job(firstJob)).catch(() => null);
        if (owner && owner.port !== victim.port) {
          promotedAt = performance.now();
          promotedPort = owner.port;
          return;
        }
        await delay(25);
      }
    })();

    // The celebrity's jobs, as the author sees them.
    const celebrityJobs = accepted.filter((a) => a.authorId === celebrity.user.id).map((a) => a.jobId);
    const progress: FailoverResult['progress'] = [];
    let tracing = true;
    const trace = (async () => {
      while (tracing && performance.now() - killedAt < 180_000) {
        const jobs = await Promise.all(celebrityJobs.map((id) => readJob(url, celebrity.token, id)));
        progress.push({ ms: Math.round(performance.now() - killedAt), delivered: jobs.map((j) => j?.delivered ?? null) });
        if (jobs.every((j) => j?.status === 'done')) return;
        await delay(500);
      }
    })();

    // Jobs: polled until done.
    let watching = true;
    const jobsWatch = (async () => {
      while (watching || accepted.some((a) => a.doneAt === undefined)) {
        for (const a of accepted.filter((x) => x.doneAt === undefined)) {
          const job = await readJob(url, a.token, a.jobId);
          if (job && (job.status === 'done' || job.status === 'failed')) {
            a.doneAt = performance.now();
            a.status = job.status;
          }
        }
        if (performance.now() - killedAt > 180_000) return;
        await delay(100);
      }
    })();

    // A client keeps posting every ~100 ms, small authors in turn, through the failover.
    const timeline: FailoverPost[] = [];
    let i = 0;
    for (;;) {
      const sinceKill = performance.now() - killedAt;
      const queuedDone = accepted.slice(0, queuedBeforeKill).every((a) => a.doneAt !== undefined);
      if ((sinceKill >= 10_000 && queuedDone && promotedAt !== null) || sinceKill >= 60_000) break;
      const author = small[i++ % small.length]!;
      const startedAt = performance.now();
      const r = await timedPost(url, author.token, `during ${i}`);
      timeline.push({ sinceKillMs: Math.round(startedAt - killedAt), ms: round(r.ms, 1), status: r.status, onVictim: isOnVictim(author.user.id) });
      accept(author, r);
      const wait = 100 - (performance.now() - startedAt);
      if (wait > 0) await delay(wait);
    }
    watching = false;
    await promotion;
    await jobsWatch;
    tracing = false;
    await trace;

    const doneBy = (list: Accepted[]) => (list.every((a) => a.doneAt !== undefined) ? Math.round(Math.max(...list.map((a) => a.doneAt! - killedAt))) : null);
    const unreplicated = ((await readCounters(env.client))[statsField.unreplicated] ?? 0) - unreplicatedBefore;

    // Works afterwards, without restarting anything: one more big tweet.
    let afterFailover: FailoverResult['afterFailover'] = null;
    const started = performance.now();
    const after = await timedPost(url, celebrity.token, 'after the failover');
    if (after.status === 202) {
      accept(celebrity, after);
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(50)) {
        const job = await readJob(url, celebrity.token, after.body.job!.id);
        if (job?.status === 'done') {
          const ms = performance.now() - started;
          afterFailover = { postToDoneMs: Math.round(ms), deliveriesPerSecond: Math.round(followers / (ms / 1000)) };
          accepted[accepted.length - 1]!.doneAt = performance.now();
          accepted[accepted.length - 1]!.status = 'done';
          break;
        }
      }
    }

    // Every job done with every follower delivered; a sample of the celebrity's followers hold
    // each of the celebrity's accepted tweets exactly once.
    const notDone: string[] = [];
    for (const a of accepted) {
      const job = await readJob(url, a.token, a.jobId);
      if (!job || job.status !== 'done' || job.delivered !== job.total) notDone.push(`${a.jobId}: ${job ? `${job.status} ${job.delivered}/${job.total}` : 'unreadable'}`);
    }
    const expected = accepted.filter((a) => a.authorId === celebrity.user.id).map((a) => String(seqFromTweetId(a.tweetId))).sort();
    const ids = await followerIds(env.client, celebrity.user.id);
    const sample = Array.from({ length: Math.min(20_000, ids.length) }, () => ids[Math.floor(Math.random() * ids.length)]!);
    let wrong = 0;
    let example = '';
    for (let s = 0; s < sample.length; s += 2_000) {
      const slice = sample.slice(s, s + 2_000);
      const lists = await Promise.all(slice.map((id) => env.client.lRange(k.timeline(id), 0, -1)));
      lists.forEach((entries, j) => {
        const sorted = [...entries].sort();
        if (sorted.length !== expected.length || sorted.some((e, x) => e !== expected[x])) {
          wrong++;
          example ||= `follower ${slice[j]} has [${entries.join(', ')}], expected [${expected.join(', ')}]`;
        }
      });
    }
    const backlogAfter = await readBacklog(env.client);

    const firstAcceptOnVictim = timeline.find((p) => p.onVictim && p.status === 202);
    const result: FailoverResult = {
      followers,
      workers: workerCount,
      victimPort: victim.port,
      victimBuckets,
      promotedPort,
      killedAtDelivered,
      killToPromotionMs: promotedAt === null ? null : Math.round(promotedAt - killedAt),
      killToQueuedJobsDoneMs: doneBy(accepted.slice(0, queuedBeforeKill)),
      killToAllJobsDoneMs: doneBy(accepted.filter((a) => a.tweetId !== after.body.tweet?.id)),
      killToFirstAcceptOnVictimMs: firstAcceptOnVictim ? firstAcceptOnVictim.sinceKillMs + Math.round(firstAcceptOnVictim.ms) : null,
      posts: {
        total: timeline.length,
        accepted: timeline.filter((p) => p.status === 202).length,
        unavailable503: timeline.filter((p) => p.status === 503).length,
        other: timeline.filter((p) => p.status !== 202 && p.status !== 503).length,
        longestMs: Math.round(Math.max(...timeline.map((p) => p.ms))),
        longestOnVictimMs: Math.round(Math.max(0, ...timeline.filter((p) => p.onVictim).map((p) => p.ms))),
        longestElsewhereMs: Math.round(Math.max(0, ...timeline.filter((p) => !p.onVictim).map((p) => p.ms))),
      },
      jobs: { accepted: accepted.length, done: accepted.length - notDone.length, notDone },
      unreplicated,
      afterFailover,
      check: { sampledFollowers: sample.length, wrongTimelines: wrong, example, backlogAfter },
      timeline,
      jobTimes: accepted.map((a) => ({
        jobId: a.jobId,
        author: a.authorId === celebrity.user.id ? 'celebrity' : 'small',
        acceptedMs: Math.round(a.acceptedAt - killedAt),
        doneMs: a.doneAt === undefined ? null : Math.round(a.doneAt - killedAt),
        status: a.status ?? null,
      })),
      progress,
      logsDir: saveOutputs('failover', [server, ...workers]),
    };
    console.log(
      `  kill → promotion ${result.killToPromotionMs} ms; kill → queued jobs done ${result.killToQueuedJobsDoneMs} ms; kill → all jobs done ${result.killToAllJobsDoneMs} ms; ` +
        `longest request ${result.posts.longestMs} ms (${result.posts.unavailable503} × 503 of ${result.posts.total}); unreplicated ${unreplicated}; ` +
        `timelines wrong ${wrong} of ${sample.length} sampled; backlog after ${backlogAfter}`,
    );
    return result;
  } catch (err) {
    printOutputs([server, ...workers]);
    throw err;
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await server?.stop();
    await env.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// the run

/** The commit measured, and the files that differed from it (the bench measures the working tree). */
function codeVersion(): { commit: string; uncommitted: string[]; diffSha1: string } {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  try {
    return {
      commit: git('rev-parse', 'HEAD'),
      uncommitted: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean),
      diffSha1: createHash('sha1').update(git('diff', 'HEAD')).digest('hex'),
    };
  } catch {
    return { commit: 'unknown', uncommitted: [], diffSha1: '' };
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      cluster: { type: 'boolean', default: false },
      followers: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2,3' },
      masters: { type: 'string', default: '1,2,3' },
      parts: { type: 'string', default: 'scale,replicas,failover' },
      'failover-followers': { type: 'string' },
      posts: { type: 'string', default: '200' },
      'skip-yardsticks': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (flag: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number ≥ ${min}, got "${raw}"`);
    return n;
  };
  const list = (flag: string, raw: string) => raw.split(',').map((x) => whole(flag, x.trim(), 1));
  const parts = values.parts.split(',').map((p) => p.trim());
  for (const p of parts) if (!['scale', 'replicas', 'failover'].includes(p)) throw new Error(`--parts: unknown part "${p}"`);
  const followers = whole('followers', values.followers, 1000);
  return {
    help: values.help,
    followers,
    runs: whole('runs', values.runs, 1),
    workers: list('workers', values.workers),
    masters: list('masters', values.masters),
    parts,
    failoverFollowers: values['failover-followers'] === undefined ? followers : whole('failover-followers', values['failover-followers'], 1000),
    posts: whole('posts', values.posts, 2),
    skipYardsticks: values['skip-yardsticks'],
  };
}

export async function runClusterBench(argv: string[]): Promise<void> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(HELP);
    return;
  }
  const { followers, runs, workers, masters, parts, failoverFollowers, posts, skipYardsticks } = options;
  const commandLine = `npm run bench -- ${argv.join(' ')}`;
  console.log(`${commandLine}\n${cpus().length} cores (${cpus()[0]?.model}), followers ${fmt(followers)}, runs 1 first + ${runs} warm, workers ${workers.join(',')}`);
  if (runs < 3) console.log('note: fewer than 3 warm runs; the clarifications ask for the median of at least 3');
  const startedAt = Date.now();
  const codeAtStart = codeVersion();

  let bare: BareResult | undefined;
  let zadd: number | undefined;
  const scale: ConfigResult[] = [];
  const replicas: ConfigResult[] = [];
  let latency: LatencyResult | undefined;
  let failoverResult: FailoverResult | undefined;

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = new URL(`./results/cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  let chosenWorkers = workers[workers.length - 1]!;
  /** The results so far; written after every configuration, so a run cut short keeps what it measured. */
  const snapshot = (complete: boolean) => {
    const result = {
      commandLine,
      complete,
      // The working tree at the start; `codeChangedDuringRun` when it differed at the end.
      code: codeAtStart,
      codeChangedDuringRun: JSON.stringify(codeVersion()) !== JSON.stringify(codeAtStart),
      commands: {
        bareLoop: `Lua per ${BARE_PAGE} ids: ZRANGE followers BYSCORE (cursor +inf LIMIT 0 ${BARE_PAGE}; LPUSH timeline id; LTRIM 0 ${TIMELINE_MAX - 1} once longer than ${TIMELINE_MAX + Math.ceil(TIMELINE_MAX / 8)} (bench/bare-loop.ts)`,
        zadd: ZADD_COMMAND,
        redis: 'redis-server --appendonly yes --appendfsync everysec --save "" (+ --cluster-enabled yes --cluster-node-timeout 1000 --cluster-require-full-coverage no on clusters)',
        server: 'node --import tsx server/src/main.ts (ADMISSION_REPLICA_WAIT_MS=20 with replicas, 0 without)',
        worker: `node --import tsx worker/src/main.ts (TIMELINE_MAX=${TIMELINE_MAX})`,
      },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      options,
      chosenWorkers,
      elapsedS: Math.round((Date.now() - startedAt) / 1000),
      bareLoop: bare,
      zaddYardstickPerSecond: zadd,
      scaleOut: scale,
      replicas,
      acceptLatency: latency,
      failover: failoverResult,
    };
    writeFileSync(out, JSON.stringify(result, null, 2));
    return result;
  };

  if (parts.includes('scale')) {
    if (!skipYardsticks) {
      bare = await bareLoopYardstick(followers, runs);
      console.log(`\n— ZADD yardstick: ${ZADD_COMMAND} on a fresh Redis …`);
      zadd = await zaddYardstick();
      console.log(`  ${fmt(zadd)} ZADD/s`);
      snapshot(false);
    }
    for (const w of workers) {
      scale.push(await retryOnce(`one Redis, ${w} workers`, () => fanOutConfig({ kind: 'single' }, w, followers, runs)));
      snapshot(false);
      for (const m of masters) {
        scale.push(await retryOnce(`cluster ${m}m, ${w} workers`, () => fanOutConfig({ kind: 'cluster', masters: m, replicas: 0 }, w, followers, runs)));
        snapshot(false);
      }
    }
  }
  // The worker count for the latency and failover measures: the best on 3 masters, if measured.
  const best3 = scale.filter((c) => c.masters === 3 && c.replicas === 0 && c.topology !== 'one Redis').sort((a, b) => b.warmDeliveriesPerSecond.median - a.warmDeliveriesPerSecond.median)[0];
  chosenWorkers = best3?.workers ?? chosenWorkers;
  if (parts.includes('replicas')) {
    for (const w of workers) {
      replicas.push(
        await retryOnce(`cluster 3m+3r, ${w} workers`, () =>
          fanOutConfig({ kind: 'cluster', masters: 3, replicas: 1 }, w, followers, runs, async (ctx) => {
            if (w === chosenWorkers) latency = await acceptLatency(ctx, posts);
          }),
        ),
      );
      snapshot(false);
    }
  }
  if (parts.includes('failover')) failoverResult = await retryOnce('failover', () => failover(chosenWorkers, failoverFollowers));

  const result = snapshot(true);
  printTables(result);
  console.log(`\nsaved ${out.pathname} (${result.elapsedS} s)`);
}

// ---------------------------------------------------------------------------------------------
// tables

function printTables(r: {
  bareLoop: BareResult | undefined;
  zaddYardstickPerSecond: number | undefined;
  scaleOut: ConfigResult[];
  replicas: ConfigResult[];
  acceptLatency: LatencyResult | undefined;
  failover: FailoverResult | undefined;
  chosenWorkers: number;
}): void {
  const { bareLoop: bare } = r;
  if (bare) {
    console.log(`\n== bare in-Redis loop (${fmt(bare.followers)} ids in all; LPUSH/s summed over processes; existing keys: median (min–max) of the warm passes)`);
    console.log('redis-servers  new keys (first pass)  existing keys                  CPU-s redis / wall s (existing, median)  per process      other');
    for (const [name, x] of Object.entries(bare.sets)) {
      console.log(
        `${name.padEnd(13)}  ${fmt(x.newKeys.perSecond).padStart(21)}  ${showSpread(x.existingPerSecond).padEnd(29)}  ${`${x.cpu.redisS.toFixed(2)} / ${x.cpu.wallS.toFixed(2)}`.padEnd(39)}  ${x.cpu.perProcessS.join(', ').padEnd(15)}  ${x.cpu.otherS.toFixed(2)}`,
      );
    }
    console.log(
      `3 at once ÷ 1: plain ${bare.ratios.plainExisting}× existing keys, ${bare.ratios.plainNew}× new keys; cluster-mode ${bare.ratios.clusterExisting}× existing, ${bare.ratios.clusterNew}× new`,
    );
  }
  if (r.zaddYardstickPerSecond) console.log(`ZADD yardstick (${ZADD_COMMAND}): ${fmt(r.zaddYardstickPerSecond)}/s`);

  const configs = [...r.scaleOut, ...r.replicas];
  if (configs.length > 0) {
    const baseline = (workers: number) => r.scaleOut.find((c) => c.topology === 'one Redis' && c.workers === workers);
    console.log(`\n== fan-out to ${fmt(configs[0]!.followers)} followers: deliveries/s (post → fanout:done on the author's socket)`);
    console.log(
      'configuration      workers  first run (new keys)   warm: median (min–max)          ratio vs one Redis   ÷ bare loop same kind   buckets per master   forks first/warm',
    );
    for (const c of configs) {
      const base = baseline(c.workers);
      const ratioWarm = base ? c.warmDeliveriesPerSecond.median / base.warmDeliveriesPerSecond.median : NaN;
      const ratioFirst = base ? c.first.deliveriesPerSecond / base.first.deliveriesPerSecond : NaN;
      const ratioRange = base ? `${(c.warmDeliveriesPerSecond.min / base.warmDeliveriesPerSecond.median).toFixed(2)}–${(c.warmDeliveriesPerSecond.max / base.warmDeliveriesPerSecond.median).toFixed(2)}` : '';
      // Against the bare loop on as many Redis processes of the same kind (plain or cluster-mode), when measured.
      const bareSet = bare?.sets[`${c.topology === 'one Redis' ? 'plain' : 'cluster'} ${c.masters}`];
      const bareRatio = bareSet ? (c.warmDeliveriesPerSecond.median / bareSet.existingPerSecond.median).toFixed(2) : '–';
      const bucketLine = Object.values(c.buckets).map((b) => b.length).join('/');
      console.log(
        `${c.topology.padEnd(18)} ${String(c.workers).padStart(7)}  ${`${fmt(c.first.deliveriesPerSecond)} (${fmt(c.first.postToDoneMs)} ms)`.padEnd(21)}  ${showSpread(c.warmDeliveriesPerSecond).padEnd(30)}  ` +
          `${(base ? `${ratioWarm.toFixed(2)}× (${ratioRange}) first ${ratioFirst.toFixed(2)}×` : '– (no one-Redis run)').padEnd(19)}  ${bareRatio.padStart(21)}   ${bucketLine.padEnd(19)}  ${c.forks.first}/${c.forks.warm}`,
      );
    }
    console.log('\n== where the CPU went: CPU-seconds per process kind during one warm fan-out (median of the warm runs), and cores used on average');
    console.log(
      'configuration      workers   wall s   redis  replica   fork  worker  server  bench  other   box busy (of wall×cores)    per master: CPU-s / s in scripts',
    );
    for (const c of configs) {
      const k = c.warmCpuS;
      const ours = ['redis', 'redis-replica', 'redis-fork', 'worker', 'server', 'bench', 'other'].reduce((s, x) => s + (k[x] ?? 0), 0);
      const cmd = Object.keys(c.warmScriptS)
        .filter((name) => name.startsWith('master'))
        .map((name) => `${c.warmNodeCpuS[name]!.toFixed(2)}/${c.warmScriptS[name]!.toFixed(2)}`)
        .join('  ');
      const col = (x: string) => (k[x] ?? 0).toFixed(2).padStart(6);
      console.log(
        `${c.topology.padEnd(18)} ${String(c.workers).padStart(7)}  ${c.warmWallS.toFixed(2).padStart(7)}  ${col('redis')}  ${col('redis-replica').padStart(7)}  ${col('redis-fork')}  ${col('worker')}  ${col('server')}  ${col('bench')}  ${col('other')}   ` +
          `${`${ours.toFixed(2)} of ${(c.warmWallS * cpus().length).toFixed(2)} (${(ours / c.warmWallS).toFixed(2)} cores)`.padEnd(26)}  ${cmd}`,
      );
    }
    const problems = configs.flatMap((c) => c.problems.map((p) => `${c.topology} ${c.workers}w: ${p}`));
    if (problems.length > 0) console.log(`\nPROBLEMS:\n  ${problems.join('\n  ')}`);
  }

  const l = r.acceptLatency;
  if (l) {
    console.log(`\n== accept latency of small tweets (${l.followersEach} followers each) on 3 masters + 3 replicas: POST /api/tweets, ms`);
    console.log('mode                           WAIT ms   posts   p50     p90     p99     max     not 202');
    for (const x of l.summary) {
      console.log(`${x.mode.padEnd(29)}  ${String(x.waitMs).padStart(7)}  ${String(x.posts).padStart(6)}  ${x.p50.toFixed(2).padStart(6)}  ${x.p90.toFixed(2).padStart(6)}  ${x.p99.toFixed(2).padStart(6)}  ${x.max.toFixed(2).padStart(6)}  ${String(x.non202).padStart(7)}`);
    }
    console.log(`admissions counted unreplicated (ripple_admission_unreplicated_total): ${l.unreplicated} of ${l.postsWithWait} answered with WAIT 20`);
    if (l.postsWithWait > 0 && l.unreplicated >= l.postsWithWait) {
      console.log('  !! every admission counted unreplicated: the server never got a replica\'s confirmation (is WAIT sent at all?)');
    }
    console.log('raw write + WAIT 1 20 on a plain connection to each master in turn (what a working WAIT adds):');
    for (const x of l.rawWait) console.log(`  ${x.mode.padEnd(20)} p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)}, max ${x.max.toFixed(2)}; ${x.timedOut} of ${x.samples} timed out`);
  }

  const f = r.failover;
  if (f) {
    console.log(`\n== failover: 3 masters + 3 replicas, ${f.workers} worker(s), master ${f.victimPort} SIGKILLed at ${fmt(f.killedAtDelivered)} of ${fmt(f.followers)} delivered`);
    console.log(`kill → replica ${f.promotedPort} promoted:                     ${f.killToPromotionMs} ms`);
    console.log(`kill → first tweet accepted on the killed master's buckets:   ${f.killToFirstAcceptOnVictimMs} ms`);
    console.log(`kill → every job queued before the kill done:                 ${f.killToQueuedJobsDoneMs} ms`);
    console.log(`kill → every job (also those posted during the failover) done: ${f.killToAllJobsDoneMs} ms`);
    console.log(
      `posts every ~100 ms: ${f.posts.total}, ${f.posts.accepted} × 202, ${f.posts.unavailable503} × 503, ${f.posts.other} other; longest wait ${f.posts.longestMs} ms ` +
        `(killed master's buckets ${f.posts.longestOnVictimMs} ms, elsewhere ${f.posts.longestElsewhereMs} ms)`,
    );
    console.log(`admissions no replica confirmed (WAIT timed out or skipped): ${f.unreplicated}`);
    console.log(`jobs: ${f.jobs.done} of ${f.jobs.accepted} done with every follower${f.jobs.notDone.length ? `; NOT: ${f.jobs.notDone.join('; ')}` : ''}`);
    console.log(`timelines: ${f.check.wrongTimelines} wrong of ${fmt(f.check.sampledFollowers)} sampled${f.check.example ? ` (e.g. ${f.check.example})` : ''}; backlog afterwards ${f.check.backlogAfter}`);
    const late = f.jobTimes.filter((j) => j.doneMs !== null).sort((a, b) => b.doneMs! - a.doneMs!).slice(0, 3);
    console.log(`last jobs done: ${late.map((j) => `${j.author} job ${j.jobId} accepted at ${j.acceptedMs} ms, done at ${j.doneMs} ms`).join('; ')}`);
    console.log(`celebrity jobs' delivered after the kill: ${f.progress.filter((_, i) => i % 4 === 0).map((p) => `${(p.ms / 1000).toFixed(1)}s ${p.delivered.map((d) => (d === null ? '?' : kShort(d))).join('/')}`).join(', ')}`);
    console.log(`server and worker output: ${f.logsDir}`);
    if (f.afterFailover) console.log(`after the failover, one more big tweet: ${fmt(f.afterFailover.postToDoneMs)} ms post→done, ${fmt(f.afterFailover.deliveriesPerSecond)} deliveries/s`);
  }
}
