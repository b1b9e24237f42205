import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ask, nodeArgs } from '../../scripts/local-cluster.js';
import { createByHand, createWithRedisCli, HOST, mastersFrom, parseClusterNodes, waitForHealthy, type TestClusterMaster } from './cluster-topology.js';

export type { TestClusterMaster } from './cluster-topology.js';

/**
 * Redis listens for cluster gossip on `port + 10000`, so both must be free. Data ports come from
 * 10000–22767: their bus ports then stay below 32768, where Linux never hands out ephemeral
 * ports, so neither an outgoing connection nor a `freePort()` of another test can take them.
 */
const PORT_RANGE = { from: 10_000, to: 22_767 } as const;
const BUS_OFFSET = 10_000;

export interface TestRedisClusterOptions {
  /** Masters, each owning an equal share of the 16384 slots. @defaultValue 3 */
  masters?: number;
  /** Replicas per master; 0 gives a masters-only cluster (what the scale-out bench needs). @defaultValue 1 */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout` in ms: how long a node may be silent before it is suspected. A master's
   * failover takes about this plus 0.5–1.5 s of election, so it bounds every failover test.
   * 1000 ms keeps a kill test to a few seconds; it is safe because nothing in Ripple blocks a Redis
   * for anywhere near that long (no command may take 50 ms, `CONTRACT.md`), while a shorter one
   * would start to mistake a busy, CPU-starved node on a shared 2-core box for a dead one.
   * @defaultValue 1000
   */
  nodeTimeoutMs?: number;
}

export interface TestRedisCluster {
  /** Every node as `host:port`, the format of `REDIS_CLUSTER_NODES` (join with commas). */
  seedNodes: string[];
  /** Every node's port in creation order, whatever its role is now. */
  ports: number[];
  /** Temporary directory holding one data directory per node. */
  dir: string;
  /** The masters that serve slots now, as a live node sees them, by port. */
  masters(): Promise<TestClusterMaster[]>;
  /** The master serving `key`'s slot now. */
  masterOf(key: string): Promise<TestClusterMaster>;
  /** SIGKILLs one node: no shutdown, no final AOF flush, no goodbye to the other nodes. */
  killNode(port: number): Promise<void>;
  /** SIGSTOPs one node: it keeps its connections open but answers nothing, like a hung host. */
  freezeNode(port: number): Promise<void>;
  /** SIGCONTs a frozen node. */
  thawNode(port: number): Promise<void>;
  /**
   * Starts a killed node again on the same port and data directory. It keeps its node id
   * (`nodes.conf`), so once it hears that its slots now belong to a higher config epoch it
   * turns into a replica of the promoted node by itself. Resolves when it answers PING.
   */
  restartNode(port: number): Promise<void>;
  /**
   * Waits until every running node says `cluster_state:ok`, every slot is served by a master
   * that is not failing, all running nodes agree who serves which slot, and every running
   * replica has its replication link up. Nodes killed or frozen are left out.
   */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes all data. */
  stop(): Promise<void>;
}

interface NodeProcess {
  port: number;
  dir: string;
  child?: ChildProcess;
  /** SIGSTOPped: alive, but any question to it would wait for an answer that never comes. */
  frozen?: boolean;
}

/**
 * Starts a Redis Cluster of private redis-server processes on free ports, with AOF on as
 * `npm run cluster` runs it, and waits until it is healthy.
 *
 * `cluster-require-full-coverage no`: with the default `yes`, one shard without a master stops
 * the whole cluster (every slot answers CLUSTERDOWN) until a replica takes over, or for good
 * when it has none. With `no`, only the orphaned slots refuse, so Ripple keeps serving the
 * users on healthy shards and answers 503 only for the rest, which is what the contract asks.
 * A node cut off from the majority still stops taking writes either way.
 */
export async function startRedisCluster(options: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const masterCount = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  if (!Number.isInteger(masterCount) || masterCount < 1) throw new Error(`masters must be a positive integer, got ${masterCount}`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`replicasPerMaster must be a non-negative integer, got ${replicas}`);

  const dir = mkdtempSync(path.join(tmpdir(), 'ripple-cluster-'));
  const nodes = new Map<number, NodeProcess>();
  const stopOnExit = () => nodes.forEach((node) => node.child?.kill('SIGKILL'));
  // A test runner that dies mid-test must not leave a cluster behind.
  process.once('exit', stopOnExit);

  const argsFor = (node: NodeProcess) => nodeArgs(node.port, node.dir, nodeTimeoutMs);

  async function launch(node: NodeProcess): Promise<void> {
    if (node.child && node.child.exitCode === null && node.child.signalCode === null) throw new Error(`node ${node.port} is running`);
    const child = spawn('redis-server', argsFor(node), { stdio: 'ignore' });
    node.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server on port ${node.port} exited (${code}); see ${node.dir}/redis.log`))),
    );
    exited.catch(() => {});
    await Promise.race([exited, waitForPing(node.port)]);
    // If another process took the port between the probe and the start, it answered the PING.
    const pid = /process_id:(\d+)/.exec(await ask(node.port, ['INFO', 'server']))?.[1];
    if (Number(pid) !== child.pid) throw new Error(`port ${node.port} is answered by another process`);
  }

  async function kill(node: NodeProcess): Promise<void> {
    const child = node.child;
    node.frozen = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts one more node, moving to other ports if another process takes the probed ones first. */
  async function startNode(): Promise<NodeProcess> {
    for (let attempt = 0; ; attempt++) {
      const port = await freeClusterPort(new Set(nodes.keys()));
      const node: NodeProcess = { port, dir: path.join(dir, String(port)) };
      mkdirSync(node.dir);
      try {
        await launch(node);
        nodes.set(port, node);
        return node;
      } catch (err) {
        await kill(node);
        rmSync(node.dir, { recursive: true, force: true });
        if (attempt >= 4) throw err;
      }
    }
  }

  const running = () => [...nodes.values()].filter((n) => n.child && n.child.exitCode === null && n.child.signalCode === null && !n.frozen);
  const nodeAt = (port: number) => {
    const node = nodes.get(port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  };

  async function masters(): Promise<TestClusterMaster[]> {
    let lastError: unknown;
    for (const node of running()) {
      try {
        return mastersFrom(parseClusterNodes(await ask(node.port, ['CLUSTER', 'NODES'])));
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no cluster node answered CLUSTER NODES: ${String(lastError)}`);
  }

  const cluster: TestRedisCluster = {
    seedNodes: [],
    ports: [],
    dir,
    masters,
    async masterOf(key) {
      const slot = Number(await ask(running()[0]!.port, ['CLUSTER', 'KEYSLOT', key]));
      const owner = (await masters()).find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
      if (!owner) throw new Error(`no master serves slot ${slot} of ${key}`);
      return owner;
    },
    killNode: (port) => kill(nodeAt(port)),
    freezeNode(port) {
      const node = nodeAt(port);
      node.child?.kill('SIGSTOP');
      node.frozen = true;
      return Promise.resolve();
    },
    thawNode(port) {
      const node = nodeAt(port);
      node.child?.kill('SIGCONT');
      node.frozen = false;
      return Promise.resolve();
    },
    restartNode: (port) => launch(nodeAt(port)),
    waitForHealthy: (timeoutMs = 20_000) =>
      waitForHealthy(
        running().map((n) => n.port),
        masterCount,
        timeoutMs,
      ),
    async stop() {
      process.removeListener('exit', stopOnExit);
      await Promise.all([...nodes.values()].map(kill));
      // A node SIGKILLed in the middle of an AOF rewrite leaves its forked child writing a temp
      // file here for a moment: the removal is retried rather than failing on ENOTEMPTY.
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };

  try {
    // Sequential: each start probes ports that the previous one may just have taken.
    for (let i = 0; i < masterCount * (1 + replicas); i++) await startNode();
    const ports = [...nodes.keys()];
    if (masterCount >= 3) await createWithRedisCli(ports, replicas);
    else await createByHand(ports, masterCount, nodeTimeoutMs);
    await cluster.waitForHealthy();
    cluster.ports = ports;
    cluster.seedNodes = ports.map((p) => `${HOST}:${p}`);
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      // A restarted node answers LOADING while it replays its append-only file.
      if ((await ask(port, ['PING'])) === 'PONG') return;
    } catch {
      // not up yet
    }
    await delay(50);
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

/** A data port with its cluster-bus port free, not in `taken`. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (taken.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + BUS_OFFSET))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}
