/**
 * The Redis under measurement: one redis-server or a cluster, fresh per configuration, with a
 * plain connection to every node for INFO, commandstats and where each bucket lives.
 */
import { createClient, type RedisClientType } from 'redis';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { startRedisCluster, type TestRedisCluster } from '../../test/support/redis-cluster.js';
import { startRedis, type TestRedis } from '../../test/support/redis-server.js';
import { connectedClient, type RedisUnderTest } from '../../test/support/ripple.js';
import { settleAof } from '../aof-rewrite.js';
import { stopRedisProcesses } from '../redis-teardown.js';

/** Timelines are kept at the default TIMELINE_MAX, the same in every process of a run. */
export const TIMELINE_MAX = 800;

export type Topology = { kind: 'single' } | { kind: 'cluster'; masters: number; replicas: number };
export const topologyName = (t: Topology) =>
  t.kind === 'single' ? 'one Redis' : `cluster ${t.masters}m${t.replicas > 0 ? `+${t.masters * t.replicas}r` : ''}`;

export interface RedisNode {
  port: number;
  pid: number;
  role: 'master' | 'replica';
}

export interface Env {
  topology: Topology;
  target: RedisUnderTest;
  /** A Ripple client (keysOf works on it) for the bench's own reads. */
  client: RedisClient;
  nodes: RedisNode[];
  cluster?: TestRedisCluster;
  /** A plain connection per node port, for INFO. */
  probes: Map<number, RedisClientType>;
}

export async function probe(port: number): Promise<RedisClientType> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => {});
  await client.connect();
  return client;
}

export const infoField = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

export async function startEnv(topology: Topology): Promise<Env & { stop(): Promise<void> }> {
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
    await stopRedisProcesses(
      async () => {
        await single?.stop();
        await cluster?.stop();
      },
      pids,
      [single?.dir ?? cluster?.dir ?? ''],
    );
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
export const settleEnvAof = (env: Env) => settleAof([...env.probes.values()]);

export type CommandStats = Record<string, { calls: number; usec: number }>;

export async function commandStats(p: RedisClientType): Promise<CommandStats> {
  const out: CommandStats = {};
  for (const m of (await p.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

export async function nodeCounters(env: Env): Promise<Map<number, { stats: CommandStats; forks: number }>> {
  const out = new Map<number, { stats: CommandStats; forks: number }>();
  for (const [port, p] of env.probes) {
    out.set(port, { stats: await commandStats(p), forks: Number(infoField(await p.info('stats'), 'total_forks') ?? 0) });
  }
  return out;
}

/** Where each bucket lives: master port → buckets. */
export async function bucketsPerMaster(env: Env): Promise<Record<string, number[]>> {
  const k = keysOf(env.client);
  const out: Record<string, number[]> = {};
  for (const b of k.layout.all) {
    const port = env.cluster ? (await env.cluster.masterOf(k.backlog(b))).port : env.nodes[0]!.port;
    (out[String(port)] ??= []).push(b);
  }
  return out;
}
