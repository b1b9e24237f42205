import {
  createClient,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from 'redis';
import { setTimeout as delay } from 'node:timers/promises';

export type RedisClient = ReturnType<typeof createRedisClient>;

export interface RedisClientOptions {
  /**
   * Per-command timeout in ms; 0 turns it off. node-redis arms a timer for every command
   * by default, which costs several times the client CPU on a hot pipeline.
   * @defaultValue 5000
   */
  commandTimeoutMs?: number;
}

/**
 * A node-redis client that fails fast while Redis is unreachable instead of queueing
 * commands in memory (callers turn that into 503 or a retry), and reconnects by itself
 * with capped, jittered backoff for as long as the process lives.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 5000 },
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000) + Math.random() * 100,
    },
  });
}

/**
 * Connects, waiting through failures: an initial outage must not kill a process that is
 * supposed to ride out outages later. Resolves once the first connection is ready.
 */
export async function connectRedis(client: RedisClient, onError: (err: unknown) => void): Promise<void> {
  client.on('error', onError);
  await retryUntilConnected(() => client.connect(), onError);
}

/** Calls `connect` until it resolves, backing off exponentially up to 2 s between tries. */
export async function retryUntilConnected(connect: () => Promise<unknown>, onError: (err: unknown) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await connect();
      return;
    } catch (err) {
      onError(err);
      await delay(Math.min(100 * 2 ** Math.min(attempt, 5), 2000));
    }
  }
}

/**
 * True when an error means "Redis (or, on a cluster, the master of that slot) is not reachable
 * right now", as opposed to a bad command: callers answer 503 or retry later. On a cluster that
 * includes a slot without a master (`CLUSTERDOWN`), a slot in migration (`TRYAGAIN`), a
 * connection dropped by a slot-map refresh, and redirections that never settled.
 */
export function isRedisUnavailable(err: unknown): boolean {
  return (
    err instanceof DisconnectsClientError ||
    err instanceof RootNodesUnavailableError ||
    err instanceof MaxCommandRedirectionsError ||
    err instanceof TimeoutError ||
    (err instanceof ErrorReply && /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|OOM)\b/.test(err.message)) ||
    err instanceof ClientClosedError ||
    err instanceof ClientOfflineError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof SocketTimeoutError ||
    err instanceof ReconnectStrategyError ||
    (err instanceof Error && /ECONNREFUSED|ECONNRESET|EPIPE|LOADING/.test(err.message))
  );
}
