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
