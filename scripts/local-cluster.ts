/**
 * The Redis Cluster that `npm run cluster` runs: 3 masters and 3 replicas from the local
 * redis-server binary, each node with its append-only file and nodes.conf under
 * `<dataDir>/<port>/`. It lets anyone try Ripple on a cluster, failovers included, without
 * Docker. Kept apart from scripts/cluster.ts, which runs on import, so that a test can start,
 * stop and restart it.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { CONFIG_FROM_STDIN, DURABILITY_ARGS, passwordConfig } from './local-redis.js';
import { stopChild } from './stop-child.js';

const HOST = '127.0.0.1';
const SLOTS = 16384;

/** Where `npm run cluster` runs its nodes unless RIPPLE_CLUSTER_PORTS says otherwise. */
export const DEFAULT_CLUSTER_PORTS = [7001, 7002, 7003, 7004, 7005, 7006] as const;

export interface LocalClusterOptions {
  /**
   * Six data ports: `redis-cli --cluster create` makes the first three masters and the others
   * their replicas. Each node also listens on its port + 10000 for the cluster bus.
   */
  ports: readonly number[];
  /** Holds one directory per node, named after its port (`.data/cluster` for `npm run cluster`). */
  dataDir: string;
  /**
   * `cluster-node-timeout` in ms: how long a node may be silent before it is suspected; a
   * failover takes about this plus 0.5–1.5 s of election. 1500 ms lets someone who kills a
   * master watch Ripple ride the failover in a few seconds, where the default 15 s would look
   * like an outage. Not lower: on a 2-core machine that also runs the server, the workers and a
   * load test, a busy node must not be mistaken for a dead one.
   * @defaultValue 1500
   */
  nodeTimeoutMs?: number;
  /** Told what is happening, a line at a time. @defaultValue silence */
  log?: (line: string) => void;
  /**
   * Every node's `requirepass` and `masterauth`: clients (and replicas of their masters) must
   * give it. `npm run cluster` uses the generated one in `.data/redis-password`. @defaultValue none
   */
  password?: string;
}

export interface LocalCluster {
  /** Every node as `host:port`, the format of REDIS_CLUSTER_NODES (join with commas). */
  seedNodes: string[];
  /** Whether this start formed the cluster; false when it came back from its nodes.conf files. */
  created: boolean;
  /** Ports of the nodes this start launched; nodes that already answered are someone else's. */
  startedPorts: number[];
  /** Shuts down the nodes this start launched (each flushes its append-only file), no others. */
  stop: () => Promise<void>;
}

/**
 * Makes sure a healthy cluster answers on `ports`: starts the nodes that do not answer yet,
 * forms the cluster when it never was, and waits until every node says `cluster_state:ok` with
 * all slots served. Throws with a one-line reason when it cannot.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const { ports, dataDir, nodeTimeoutMs = 1500, log = () => {}, password } = options;
  const started = new Map<number, ChildProcess>();
  // The nodes run in their own process group, out of reach of a Ctrl-C meant for the server and
  // workers; if this process exits without stop(), they are still asked to shut down.
  const stopOnExit = () => started.forEach((child) => child.kill('SIGTERM'));
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    // All at once, well within cluster-node-timeout, so no replica outlives its master long
    // enough to start a failover. A big append-only file may take a while to flush.
    await Promise.all([...started.values()].map((child) => stopChild(child, 30_000)));
  };

  try {
    const down: number[] = [];
    for (const port of ports) if ((await nodeState(port, password)) === 'down') down.push(port);
    if (down.length < ports.length) log(`using the Redis nodes already running on ports ${ports.filter((p) => !down.includes(p)).join(', ')}`);
    if (down.length > 0) {
      assertRedisServerInstalled();
      log(`starting redis-server on ports ${down.join(', ')} (append-only files in ${path.relative(process.cwd(), dataDir) || '.'})`);
      await Promise.all(
        down.map((port) => {
          const dir = path.join(dataDir, String(port));
          // Known to stop() and the exit hook from the start, not only once it answers.
          const child = launchNode(port, dir, nodeTimeoutMs, password);
          started.set(port, child);
          return untilAnswering(child, port, dir, password);
        }),
      );
    }
    const created = await createIfNeverCreated(ports, password);
    if (created) log('formed the cluster: 3 masters, each with one replica');
    await waitUntilHealthy(ports, log, password);
    return { seedNodes: ports.map((p) => `${HOST}:${p}`), created, startedPorts: [...started.keys()], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Arguments for one node's `redis-server` (the binary's name not included); the tests' clusters
 * (test/support/redis-cluster.ts) run their nodes with the same.
 */
export function nodeArgs(port: number, dir: string, nodeTimeoutMs: number): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--logfile',
    'redis.log',
    ...DURABILITY_ARGS,
    // No RDB snapshots: the append-only file is the one copy of the data.
    '--save',
    '',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    // With the default `yes`, one shard without a master stops the whole cluster; with `no`
    // only its slots refuse, so Ripple keeps serving the users on the healthy shards.
    '--cluster-require-full-coverage',
    'no',
    // A replica (re)attaching after a restart or failover syncs at once instead of waiting 5 s
    // for other replicas to share the transfer.
    '--repl-diskless-sync-delay',
    '0',
  ];
}

function assertRedisServerInstalled(): void {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'no redis-server binary is installed: install Redis (e.g. "sudo apt install redis-server" or "brew install redis") or run "docker compose --profile cluster up"',
    );
  }
}

function launchNode(port: number, dir: string, nodeTimeoutMs: number, password: string | undefined): ChildProcess {
  mkdirSync(dir, { recursive: true });
  if (!password) return spawn('redis-server', nodeArgs(port, dir, nodeTimeoutMs), { stdio: 'ignore', detached: true });
  const child = spawn('redis-server', [...CONFIG_FROM_STDIN, ...nodeArgs(port, dir, nodeTimeoutMs)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.stdin.end(passwordConfig(password));
  return child;
}

async function untilAnswering(child: ChildProcess, port: number, dir: string, password: string | undefined): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}); is the port or port + 10000 in use? see ${dir}/redis.log`);
    }
    const state = await nodeState(port, password);
    if (state === 'ready') return;
    // A node replaying a big append-only file answers LOADING for as long as that takes.
    if (state === 'down' && waited > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer; see ${dir}/redis.log`);
    }
    await delay(100);
  }
}

/**
 * Forms the cluster unless it exists. A node's own view decides, not the presence of nodes.conf:
 * redis-server writes that file the moment it starts, so a first run stopped before
 * `--cluster create` leaves one behind for nodes that never joined anything.
 */
async function createIfNeverCreated(ports: readonly number[], password: string | undefined): Promise<boolean> {
  const fresh: number[] = [];
  for (const port of ports) {
    const info = await clusterInfo(port, password);
    if (info.cluster_slots_assigned === '0' && info.cluster_known_nodes === '1') fresh.push(port);
  }
  if (fresh.length === 0) return false;
  if (fresh.length < ports.length) {
    throw new Error(
      `the nodes on ports ${fresh.join(', ')} belong to no cluster while the others do; stop them and remove their data directories to start afresh`,
    );
  }
  const args = ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes'];
  try {
    // REDISCLI_AUTH rather than -a: an argument is visible to every user of the machine.
    await promisify(execFile)('redis-cli', args, { timeout: 60_000, env: password ? { ...process.env, REDISCLI_AUTH: password } : process.env });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    const why = `${stderr}${stdout}`
      .trim()
      .split('\n')
      .filter((line) => /ERR|error/i.test(line))
      .pop();
    throw new Error(`redis-cli --cluster create failed: ${why ?? (err instanceof Error ? err.message : String(err))}`, { cause: err });
  }
  return true;
}

/** Until every node says `cluster_state:ok` and sees every slot served by a live master. */
async function waitUntilHealthy(ports: readonly number[], log: (line: string) => void, password: string | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  let told = false;
  for (;;) {
    const why = await unhealthyBecause(ports, password);
    if (!why) return;
    if (Date.now() > deadline) throw new Error(`the cluster did not become healthy within 60 s: ${why}`);
    if (!told) log(`waiting for the cluster: ${why}`);
    told = true;
    await delay(200);
  }
}

/** Empty when healthy, else the first reason it is not. */
async function unhealthyBecause(ports: readonly number[], password: string | undefined): Promise<string> {
  for (const port of ports) {
    let info: Record<string, string>;
    try {
      info = await clusterInfo(port, password);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    if (info.cluster_state !== 'ok') return `node ${port} says cluster_state:${info.cluster_state}`;
    // Without full coverage required, cluster_state stays ok while some slots lack a master.
    if (info.cluster_slots_ok !== String(SLOTS)) return `node ${port} sees ${info.cluster_slots_ok} of ${SLOTS} slots served`;
  }
  return '';
}

/** CLUSTER INFO's fields; throws naming the port when the Redis there is no cluster node. */
async function clusterInfo(port: number, password: string | undefined): Promise<Record<string, string>> {
  const info = await ask(port, ['CLUSTER', 'INFO'], 2000, password).catch((err: unknown) => {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(/cluster support disabled/i.test(why) ? `the Redis on port ${port} is not a cluster node; choose other ports` : `node ${port}: ${why}`);
  });
  return fields(info);
}

/** 'loading': a node is there but still replaying its append-only file. */
async function nodeState(port: number, password: string | undefined): Promise<'ready' | 'loading' | 'down'> {
  try {
    return (await ask(port, ['PING'], 2000, password)) === 'PONG' ? 'ready' : 'down';
  } catch (err) {
    return err instanceof Error && err.message.startsWith('LOADING') ? 'loading' : 'down';
  }
}

/**
 * One command on a short-lived connection: no reconnects, no riding a node's failover, and a
 * node that accepts connections but answers nothing (a frozen process, which no node-redis
 * timeout covers during the handshake) fails within `timeoutMs` instead of hanging. The test
 * harness (test/support/redis-cluster.ts) asks its nodes the same way.
 */
export async function ask(port: number, command: string[], timeoutMs = 2000, password?: string): Promise<string> {
  const client = createClient({ password, socket: { host: HOST, port, connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`node ${port} did not answer ${command.join(' ')} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([timedOut, client.connect().then(async () => String(await client.sendCommand<string | number>(command)))]);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** `key:value` lines (CLUSTER INFO) as an object. */
export function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}
