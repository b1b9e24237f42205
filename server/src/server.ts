import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';
import type { Logger, RedisClient } from '@ripple/shared/node';
import { createApp, createMetricsApp } from './app.js';
import type { ServerConfig } from './config.js';
import { startEventRelay } from './event-relay.js';
import { createMetrics } from './metrics.js';
import { attachRealtime, type RippleIo } from './realtime.js';
import { startStatsSampler } from './stats-sampler.js';
import { startBacklogSampler } from './backlog-sampler.js';
import { createReplicationCheck } from './replication-check.js';
import { attachDashboard } from './dashboard.js';
import { startPresence } from './presence.js';
import { watchTokenKeys } from './token-key-watch.js';
import { createTokens } from './tokens.js';

/** Largest Socket.IO message accepted from a client: a handshake with its token fits easily. */
const SOCKET_MAX_MESSAGE_BYTES = 4096;

export interface RippleServerDeps {
  /** Connection for commands. */
  redis: RedisClient;
  /** Connection reserved for the event relay's reads. */
  reader: RedisClient;
  config: ServerConfig;
  log: Logger;
}

export interface RippleServer {
  httpServer: HttpServer;
  io: RippleIo;
  /** Serves `/metrics` when METRICS_PORT is set; listening once `listen` resolves. */
  metricsServer: HttpServer | undefined;
  /**
   * Listens on `port` (0 for any free one) at `host` (default 127.0.0.1), and on METRICS_PORT
   * when set; resolves with the base URL.
   */
  listen(port: number, host?: string): Promise<string>;
  /** Closes sockets, lets in-flight requests finish, stops the relay. Leaves the Redis clients open. */
  close(): Promise<void>;
}

/**
 * Requests too malformed for Express to see (bad framing, oversized headers) still get the
 * contract's error shape.
 */
function answerMalformedRequest(_err: Error, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: { code: 'invalid_request', message: 'malformed HTTP request' } });
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** One server node: HTTP API, Socket.IO and the event relay, built from connected Redis clients. */
export async function createRippleServer({ redis, reader, config, log }: RippleServerDeps): Promise<RippleServer> {
  const { tokenSecret } = config;
  // main.ts decides where it comes from (tokenSecretFor); tests pass their own.
  if (!tokenSecret) throw new Error('createRippleServer needs config.tokenSecret');
  // Sockets authenticated against a lost data set could receive the events of whoever gets
  // their user id next: drop them all; clients reconnect and authenticate afresh.
  const tokenKeys = await watchTokenKeys(redis, tokenSecret, log, () => io.disconnectSockets(true));
  const tokens = createTokens(tokenKeys.current, config.tokenTtlMs);
  const stats = startStatsSampler(redis);
  const backlog = startBacklogSampler(redis, log);
  const replication = createReplicationCheck(redis, log, config.replicaWaitMs);
  const metrics = createMetrics(redis);
  const app = createApp({ ...config, redis, tokens, metrics, stats, backlog, replication, log });
  const httpServer = createServer(app);
  const metricsServer = config.metricsPort === undefined ? undefined : createServer(createMetricsApp({ metrics, log }));
  httpServer.on('clientError', answerMalformedRequest);
  // Clients send nothing but the handshake (a token): a big buffer only helps someone flood memory.
  const io: RippleIo = new Server(httpServer, { serveClient: false, maxHttpBufferSize: SOCKET_MAX_MESSAGE_BYTES });
  const presence = startPresence(redis, log, config.presence);
  attachRealtime(io, { tokens, presence, maxSocketsPerUser: config.maxSocketsPerUser });
  attachDashboard(io, stats);
  const eventRelay = startEventRelay({ reader, redis, io, log, localUsers: () => presence.localUsers() });

  return {
    httpServer,
    io,
    metricsServer,
    async listen(port, host = '127.0.0.1') {
      const listening = (server: HttpServer, on: number) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(on, host, () => resolve());
        });
      if (metricsServer && config.metricsPort !== undefined) await listening(metricsServer, config.metricsPort);
      await listening(httpServer, port);
      return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    },
    async close() {
      // io.close disconnects every socket and closes the HTTP server once in-flight requests
      // end; keep-alive connections that fall idle meanwhile are closed as they do.
      const closeIdle = setInterval(() => httpServer.closeIdleConnections(), 50);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
        httpServer.closeIdleConnections();
      });
      clearInterval(closeIdle);
      if (metricsServer?.listening) {
        await new Promise<void>((resolve) => {
          metricsServer.close(() => resolve());
          metricsServer.closeAllConnections();
        });
      }
      stats.stop();
      backlog.stop();
      presence.stop();
      tokenKeys.stop();
      await eventRelay.stop();
    },
  };
}
