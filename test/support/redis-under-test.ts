import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RedisTarget } from '@ripple/shared/node';
import { startRedisCluster, type TestRedisCluster } from './redis-cluster.js';
import { startRedis, type TestRedis } from './redis-server.js';

/**
 * The Redis a test file runs against: a single redis-server, or, in the `cluster` test project
 * (`RIPPLE_TEST_REDIS=cluster`, see vitest.config.ts), a 3-master, 3-replica Redis Cluster.
 * Files that run in both projects take their Redis from here, so the same tests prove the same
 * promises on both; tests that need what only one kind has (restarting the one Redis from its
 * append-only file, pausing its clients) say so with `onSingleRedis`.
 */
export type RedisUnderTestHandle =
  | { kind: 'single'; target: RedisTarget; single: TestRedis; stop(): Promise<void> }
  | { kind: 'cluster'; target: RedisTarget; cluster: TestRedisCluster; stop(): Promise<void> };

export const onCluster = process.env.RIPPLE_TEST_REDIS === 'cluster';
/** For `it.runIf(onSingleRedis)`: the test needs the one redis-server itself. */
export const onSingleRedis = !onCluster;

export async function startRedisUnderTest(options: { appendOnly?: boolean } = {}): Promise<RedisUnderTestHandle> {
  if (onCluster) {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    return { kind: 'cluster', target: { kind: 'cluster', nodes: cluster.seedNodes.join(',') }, cluster, stop: () => cluster.stop() };
  }
  const single = await startRedis(options);
  return { kind: 'single', target: { kind: 'single', url: single.url }, single, stop: () => single.stop() };
}

/**
 * SIGKILLs the whole Redis under test: the one redis-server, or every node of the cluster,
 * replicas too, so that no slot has a node left to serve it or to take it over.
 */
export async function killRedisUnderTest(redis: RedisUnderTestHandle): Promise<void> {
  if (redis.kind === 'single') return redis.single.kill();
  const { cluster } = redis;
  await Promise.all(cluster.ports.map((port) => cluster.killNode(port)));
}

/**
 * Starts a Redis killed by `killRedisUnderTest` again on the same ports, from its data, and
 * resolves once every slot is served. `withoutData` first removes what it stored, as if its
 * disks had been lost: a cluster node keeps only `nodes.conf`, so the cluster comes back as
 * itself, every slot assigned as before, but empty, like a single Redis restarted without
 * its append-only file.
 */
export async function restartRedisUnderTest(redis: RedisUnderTestHandle, options: { withoutData?: boolean } = {}): Promise<void> {
  if (redis.kind === 'single') {
    if (options.withoutData) removeStoredData(redis.single.dir);
    return redis.single.restart();
  }
  const { cluster } = redis;
  if (options.withoutData) {
    for (const entry of readdirSync(cluster.dir, { withFileTypes: true })) if (entry.isDirectory()) removeStoredData(path.join(cluster.dir, entry.name));
  }
  await Promise.all(cluster.ports.map((port) => cluster.restartNode(port)));
  await cluster.waitForHealthy();
}

/** What a node keeps across a loss of its data: its cluster identity and its log. */
const KEPT_WITHOUT_DATA = new Set(['nodes.conf', 'redis.log']);

const removeStoredData = (dir: string) => {
  for (const name of readdirSync(dir)) if (!KEPT_WITHOUT_DATA.has(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
};
