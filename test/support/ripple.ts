import { createLogger, createRedisClient, type RedisClient } from '@ripple/shared/node';
import { readServerConfig, type ServerConfig } from '../../server/src/config.js';
import { createRippleServer, type RippleServer } from '../../server/src/server.js';
import { readWorkerConfig, type WorkerConfig } from '../../worker/src/config.js';
import { startConsumer, type FanoutConsumer } from '../../worker/src/consumer.js';

const log = createLogger('test');

export async function connectedClient(url: string, commandTimeoutMs?: number): Promise<RedisClient> {
  const client = createRedisClient(url, { commandTimeoutMs });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * A server node built exactly as `npm run server` builds it, not listening: Supertest starts it
 * on a free port per request. `redis` is a spare connection for the test's own checks.
 */
export async function createTestApp(redisUrl: string, overrides: Partial<ServerConfig> = {}) {
  const [redis, serverRedis, reader] = await Promise.all([connectedClient(redisUrl), connectedClient(redisUrl), connectedClient(redisUrl)]);
  const config = { ...readServerConfig({}), redisUrl, ...overrides };
  const server = await createRippleServer({ redis: serverRedis, reader, config, log });
  return {
    app: server.httpServer,
    redis,
    async close() {
      await server.close();
      await Promise.allSettled([redis.close(), serverRedis.close(), reader.close()]);
    },
  };
}

/** A whole server node (HTTP + Socket.IO + event relay) listening on a free port. */
export async function startTestServer(redisUrl: string, overrides: Partial<ServerConfig> = {}) {
  const redis = await connectedClient(redisUrl);
  const reader = await connectedClient(redisUrl);
  const config = { ...readServerConfig({}), redisUrl, ...overrides };
  const server: RippleServer = await createRippleServer({ redis, reader, config, log });
  const url = await server.listen(0);
  return {
    url,
    server,
    async close() {
      await server.close();
      await Promise.allSettled([redis.close(), reader.close()]);
    },
  };
}

/** A worker's consumer loop in this process. */
export async function startTestWorker(redisUrl: string, overrides: Partial<WorkerConfig> = {}) {
  const redis = await connectedClient(redisUrl, 0);
  const reader = await connectedClient(redisUrl, 0);
  const config = { ...readWorkerConfig({}), redisUrl, ...overrides };
  const consumer: FanoutConsumer = startConsumer({ reader, redis, config, log });
  return {
    consumer,
    async close() {
      await consumer.stop();
      await Promise.allSettled([redis.close(), reader.close()]);
    },
  };
}
