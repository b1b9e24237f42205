import { clusterOf, connectRipple, createLogger, createRippleRedis, type RedisClient, type RedisTarget } from '@ripple/shared/node';
import { readServerConfig, type ServerConfig } from '../../server/src/config.js';
import { createRippleServer, type RippleServer } from '../../server/src/server.js';
import { readWorkerConfig, type WorkerConfig } from '../../worker/src/config.js';
import { startConsumer, type FanoutConsumer } from '../../worker/src/consumer.js';

const log = createLogger('test');

/**
 * The token key of every server a test starts, in-process or as a process, so that nodes of one
 * test accept each other's tokens and no test writes a generated key into the repository's `.data/`.
 */
export const TEST_TOKEN_SECRET = 'ripple-test-token-secret';

/**
 * FANOUT_INLINE_MAX of every server a test starts unless it says otherwise: 0, never inline.
 * Tests of the queue post to small audiences, which the default would deliver inside the request,
 * with no queue to test; tests of inline delivery ask for it (test/inline.test.ts).
 */
export const TEST_INLINE_MAX = 0;

/** Where a test's Redis is: a URL for a single redis-server, or a target (a cluster too). */
export type RedisUnderTest = string | RedisTarget;

export const targetOf = (redis: RedisUnderTest): RedisTarget => (typeof redis === 'string' ? { kind: 'single', url: redis } : redis);

export async function connectedClient(redis: RedisUnderTest, commandTimeoutMs?: number): Promise<RedisClient> {
  const target = targetOf(redis);
  const client = createRippleRedis(target, { commandTimeoutMs });
  if (target.kind === 'single') {
    client.on('error', () => {});
    await client.connect();
  } else {
    await connectRipple(client, () => {});
  }
  return client;
}

/**
 * A server node built exactly as `npm run server` builds it, not listening: Supertest starts it
 * on a free port per request. `redis` is a spare connection for the test's own checks.
 */
export async function createTestApp(target: RedisUnderTest, overrides: Partial<ServerConfig> = {}) {
  // The server's own clients without a per-command timeout, as server/src/main.ts makes them.
  const [redis, serverRedis, reader] = await Promise.all([connectedClient(target), connectedClient(target, 0), connectedClient(target, 0)]);
  const config = { ...readServerConfig({}), fanoutInlineMax: TEST_INLINE_MAX, tokenSecret: TEST_TOKEN_SECRET, redis: targetOf(target), ...overrides };
  const server = await createRippleServer({ redis: serverRedis, reader, config, log });
  return {
    app: server.httpServer,
    redis,
    close: async () => {
      await server.close();
      await Promise.allSettled([redis.close(), serverRedis.close(), reader.close()]);
    },
  };
}

/** A whole server node (HTTP + Socket.IO + event relay) listening on a free port. */
export async function startTestServer(target: RedisUnderTest, overrides: Partial<ServerConfig> = {}) {
  const redis = await connectedClient(target, 0);
  const reader = await connectedClient(target, 0);
  const config = { ...readServerConfig({}), fanoutInlineMax: TEST_INLINE_MAX, tokenSecret: TEST_TOKEN_SECRET, redis: targetOf(target), ...overrides };
  const server: RippleServer = await createRippleServer({ redis, reader, config, log });
  const url = await server.listen(0);
  return {
    url,
    server,
    close: async () => {
      await server.close();
      await Promise.allSettled([redis.close(), reader.close()]);
    },
  };
}

/** A worker's consumer loop in this process. */
export async function startTestWorker(target: RedisUnderTest, overrides: Partial<WorkerConfig> = {}) {
  const redis = await connectedClient(target, 0);
  const reader = await connectedClient(target, 0);
  const config = { ...readWorkerConfig({}), redis: targetOf(target), ...overrides };
  const consumer: FanoutConsumer = startConsumer({ reader, redis, config, log });
  return {
    consumer,
    close: async () => {
      await consumer.stop();
      await Promise.allSettled([redis.close(), reader.close()]);
    },
  };
}

/**
 * Every key matching `pattern` (a SCAN glob), wherever it lives. On a cluster SCAN sees only
 * the node it is sent to, so each master is scanned in turn.
 */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const cluster = clusterOf(redis);
  const nodes = cluster ? await Promise.all(cluster.masters.map((master) => cluster.nodeClient(master))) : [redis];
  const found: string[] = [];
  for (const node of nodes) {
    for await (const batch of node.scanIterator({ MATCH: pattern, COUNT: 1_000 })) found.push(...batch);
  }
  return found;
}
