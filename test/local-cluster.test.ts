import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, createCluster } from 'redis';
import { connectRipple, createRippleRedis, describeRedisTarget, redisTargetFromEnv } from '@ripple/shared/node';
import { ask as askWith, startLocalCluster, type LocalCluster } from '../scripts/local-cluster.js';

/**
 * Data ports from 10000–22767, as in test/support/redis-cluster.ts: their bus ports (+10000)
 * stay below 32768, where Linux hands out no ephemeral ports, so nothing else takes them.
 */
const PORT_RANGE = { from: 10_000, to: 22_767 } as const;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freeClusterPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 500) throw new Error('no free port pairs for cluster nodes');
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (!ports.has(port) && (await canListen(port)) && (await canListen(port + 10_000))) ports.add(port);
  }
  return [...ports];
}

async function ask(port: number, command: string[]): Promise<string> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
  await client.connect();
  try {
    return String(await client.sendCommand<string | number>(command));
  } finally {
    client.destroy();
  }
}

const nodeIds = (ports: number[]) => Promise.all(ports.map((p) => ask(p, ['CLUSTER', 'MYID'])));

/** Every node's view, as `<master port>:<replica ports>` per slot-serving master, sorted. */
async function shardsSeenBy(port: number): Promise<string[]> {
  const lines = (await ask(port, ['CLUSTER', 'NODES']))
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
  const portOf = (address: string) => address.split('@')[0]!.split(':').pop();
  return lines
    .filter(([, , flags, , , , , , ...slots]) => flags!.split(',').includes('master') && slots.length > 0)
    .map(
      ([id, address]) =>
        `${portOf(address!)}:${lines
          .filter((r) => r[3] === id)
          .map((r) => portOf(r[1]!))
          .join(',')}`,
    )
    .sort();
}

async function expectThreeMastersWithOneReplicaEach(ports: number[]): Promise<void> {
  for (const port of ports) expect((await ask(port, ['CLUSTER', 'INFO'])).split('\r\n')).toContain('cluster_state:ok');
  // Gossip may take a moment to tell every node who replicates whom.
  await vi.waitFor(
    async () => {
      const views = await Promise.all(ports.map(shardsSeenBy));
      const shards = views[0]!;
      expect(shards).toHaveLength(3);
      for (const shard of shards) expect(shard).toMatch(/^\d+:\d+$/);
      expect(
        shards
          .flatMap((s) => s.split(/[:,]/))
          .map(Number)
          .sort(),
      ).toEqual([...ports].sort());
      for (const view of views) expect(view).toEqual(shards);
    },
    { timeout: 5000, interval: 100 },
  );
}

const clusterClient = (seedNodes: string[]) => createCluster({ rootNodes: seedNodes.map((node) => ({ url: `redis://${node}` })) });

async function withCluster<T>(seedNodes: string[], use: (cluster: ReturnType<typeof clusterClient>) => Promise<T>): Promise<T> {
  const cluster = clusterClient(seedNodes);
  await cluster.connect();
  try {
    return await use(cluster);
  } finally {
    cluster.destroy();
  }
}

describe("npm run cluster's local Redis Cluster (scripts/local-cluster.ts)", () => {
  let dataDir: string | undefined;
  const running: LocalCluster[] = [];

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('forms 3 masters with a replica each, comes back from its data without being formed again, and reuses running nodes', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ripple-local-cluster-'));
    const ports = await freeClusterPorts(6);

    const first = await startLocalCluster({ ports, dataDir });
    running.push(first);
    expect(first.created).toBe(true);
    expect(first.startedPorts.sort()).toEqual([...ports].sort());
    expect(first.seedNodes).toEqual(ports.map((p) => `127.0.0.1:${p}`));
    await expectThreeMastersWithOneReplicaEach(ports);
    const ids = await nodeIds(ports);
    await withCluster(first.seedNodes, (c) => c.set('local-cluster-test', 'kept'));

    await first.stop();
    running.splice(0);
    for (const port of ports) {
      expect(existsSync(path.join(dataDir, String(port), 'nodes.conf'))).toBe(true);
      expect(existsSync(path.join(dataDir, String(port), 'appendonlydir'))).toBe(true);
    }

    const again = await startLocalCluster({ ports, dataDir });
    running.push(again);
    expect(again.created).toBe(false);
    expect(await nodeIds(ports)).toEqual(ids);
    await expectThreeMastersWithOneReplicaEach(ports);
    // The shutdown flushed every master's append-only file.
    expect(await withCluster(again.seedNodes, (c) => c.get('local-cluster-test'))).toBe('kept');

    const second = await startLocalCluster({ ports, dataDir });
    expect(second.created).toBe(false);
    expect(second.startedPorts).toEqual([]);
    await second.stop();
    // Stopping the second start leaves the nodes of the first running.
    for (const port of ports) expect(await ask(port, ['PING'])).toBe('PONG');
  }, 40_000);

  it('with a password, every node requires it and replicas give it to their masters; REDIS_PASSWORD hands it to Ripple', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ripple-local-cluster-'));
    const ports = await freeClusterPorts(6);
    const password = 'cluster-test-password';
    const cluster = await startLocalCluster({ ports, dataDir, password });
    running.push(cluster);
    await expect(askWith(ports[0]!, ['PING'])).rejects.toThrow(/NOAUTH/);
    for (const port of ports) expect(await askWith(port, ['PING'], 2000, password)).toBe('PONG');
    // A replica that could not authenticate to its master would never be linked.
    await vi.waitFor(
      async () => {
        for (const port of ports) {
          const info = await askWith(port, ['INFO', 'replication'], 2000, password);
          if (info.includes('role:slave')) expect(info).toContain('master_link_status:up');
        }
      },
      { timeout: 10_000, interval: 200 },
    );

    const target = redisTargetFromEnv({ REDIS_CLUSTER_NODES: cluster.seedNodes.join(','), REDIS_PASSWORD: password });
    expect(describeRedisTarget(target)).not.toContain(password);
    const redis = createRippleRedis(target);
    await connectRipple(redis, () => {});
    try {
      await redis.set('password-test', 'opened');
      expect(await redis.get('password-test')).toBe('opened');
    } finally {
      redis.destroy();
    }
  }, 40_000);
});
