import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { connectRedis, createLogger, createRedisClient } from '@ripple/shared/node';
import { createApp } from './app.js';
import { readServerConfig } from './config.js';
import { startEventRelay } from './event-relay.js';
import { createMetrics } from './metrics.js';
import { attachRealtime, type RippleIo } from './realtime.js';
import { createTokens, resolveTokenSecret } from './tokens.js';

const log = createLogger('server');
const config = readServerConfig();

const redis = createRedisClient(config.redisUrl);
const reader = redis.duplicate();
const onRedisError = (err: unknown) => log.warn({ err: String(err) }, 'redis connection error');
await Promise.all([connectRedis(redis, onRedisError), connectRedis(reader, onRedisError)]);

const tokens = createTokens(await resolveTokenSecret(redis, config.tokenSecret), config.tokenTtlMs);
const metrics = createMetrics(redis);
const app = createApp({
  ...config,
  redis,
  tokens,
  metrics,
  log,
  clientDir: fileURLToPath(new URL('../../client/dist', import.meta.url)),
});

const httpServer = createServer(app);
const io: RippleIo = new Server(httpServer, { serveClient: false });
attachRealtime(io, { redis, tokens, log });
const relay = startEventRelay({ reader, io, log });

httpServer.listen(config.port, () => log.info({ port: config.port, redis: config.redisUrl }, `Ripple listening on http://localhost:${config.port}`));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: closing sockets and finishing in-flight requests');
  // Give in-flight requests a few seconds, then go anyway.
  const hardStop = setTimeout(() => process.exit(1), 5000);
  hardStop.unref();
  // io.close disconnects every socket and closes the HTTP server once in-flight requests end.
  await new Promise<void>((resolve) => {
    io.close(() => resolve());
    httpServer.closeIdleConnections();
  });
  await relay.stop();
  await Promise.allSettled([redis.close(), reader.close()]);
  log.info('server stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
