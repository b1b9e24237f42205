/**
 * A node-redis cluster client that follows a failover by itself.
 *
 * What the installed node-redis (6.3.x) does on its own, measured against a 3+3 cluster with
 * `cluster-node-timeout 1000` (test/redis-cluster.test.ts keeps measuring the first point):
 * - It re-reads the slot map on `MOVED`/`ASK`, and (since node-redis PR #3223) when a node it
 *   was connected to keeps failing to reconnect: `topologyRefreshOnReconnectionAttemptStrategy`,
 *   5 s after the first attempt by default. A SIGKILLed master is followed that way, but only
 *   ~5 s after the kill, whenever the replica was promoted (at ~2.5 s here).
 * - Nothing else re-reads it. A client that first met the dead master while it was down never
 *   connected to it, so it never "reconnects": its commands for those slots wait on that
 *   connection forever, long after the promotion (the node-redis issue #2806 failure). The same
 *   for a master that freezes instead of dying: its socket stays open, so no reconnection, and
 *   a command already written to it never settles, because `commandOptions.timeout` only
 *   covers the wait *before* a command is written (node-redis PR #3008).
 *
 * So, with as little of our own as possible:
 * - the reconnection-triggered refresh is made quick (`RECONNECT_REFRESH_MS`), so a killed
 *   master is followed about as soon as its replica is promoted;
 * - a periodic refresh covers every case without a reconnection. When it sees that a node no
 *   longer serves slots, node-redis drops that node's connection, which also fails whatever was
 *   waiting on it (connect or reply): that is what bounds the waits above. It asks the seed
 *   nodes, each with a short timeout, so a frozen one delays it by a second, not forever;
 * - `minimizeConnections`: a refresh must never wait to connect to every master it learns of,
 *   or one unreachable new master stalls every later refresh and every `MOVED` retry (they share
 *   one refresh). Nodes are connected on first use instead;
 * - `socketTimeout` on every node connection, with `pingInterval` under it so that idle is not
 *   silent: node-redis's own refresh asks connected nodes, and one asking a frozen node would
 *   otherwise wait forever, and with it every later refresh and `MOVED` retry.
 *
 * It uses one internal of node-redis, `_slots.rediscover()` (typed, but underscored): the
 * type-check catches its removal, and the failover tests catch a change in what it does.
 */
import { createCluster } from 'redis';
import { retryUntilConnected } from './redis-client.js';

export type RedisClusterClient = ReturnType<typeof createNodeRedisCluster>;

export interface RedisClusterClientOptions {
  /**
   * Per-command timeout in ms while a command waits to be written; 0 turns it off. It does not
   * bound a command already sent (see the module comment), so it is no deadline.
   * @defaultValue 5000
   */
  commandTimeoutMs?: number;
  /**
   * Period of the background slot-map refresh in ms; 0 turns it off. It bounds how long the
   * client can keep sending to a replaced master without being told. Each refresh is one short
   * connection to a seed node and one CLUSTER SLOTS; it asks only the seed nodes, so name
   * several (all, ideally) in `REDIS_CLUSTER_NODES`.
   * @defaultValue 1000
   */
  topologyRefreshMs?: number;
  /**
   * A node connection silent for this long is torn down and reconnected. Must exceed the
   * longest blocking read any caller makes (workers block for at most 1 s) plus a loaded
   * node's worst reply time; node connections are pinged every second so idle is not silent.
   * @defaultValue 5000
   */
  silentNodeTimeoutMs?: number;
  /** Every node's `requirepass` (REDIS_PASSWORD). @defaultValue none */
  password?: string | undefined;
}

/** Delay after a node's first failed reconnection attempt before the slot map is re-read. */
const RECONNECT_REFRESH_MS = 500;
const PING_INTERVAL_MS = 1000;
/**
 * How long a seed node gets to answer CLUSTER SLOTS (connection included) before the refresh
 * asks the next one. A healthy node, even a loaded one, answers in milliseconds.
 */
const SEED_TIMEOUT_MS = 1000;

/** A `host:port` seed node. */
export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/**
 * Parses `REDIS_CLUSTER_NODES`: comma-separated `host:port` (IPv6 hosts in brackets).
 * Throws on anything else, naming the bad entry.
 */
export function parseClusterNodes(list: string): ClusterNodeAddress[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) throw new Error('REDIS_CLUSTER_NODES names no node');
  return entries.map((entry) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new Error(`REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * A cluster client from seed nodes (`host:port,…`), with the conventions of
 * `createRedisClient`: it fails fast while a slot's master is unreachable instead of queueing
 * (callers turn that into 503 or a retry), and reconnects with capped, jittered backoff for as
 * long as the process lives. On top, it follows a failover by itself (see the module comment).
 * Create one per connection needed; its `duplicate()` gets the same refresh.
 */
export function createRedisClusterClient(nodes: string, options: RedisClusterClientOptions = {}): RedisClusterClient {
  return withTopologyRefresh(createNodeRedisCluster(nodes, options), options.topologyRefreshMs ?? 1000);
}

function createNodeRedisCluster(nodes: string, options: RedisClusterClientOptions) {
  return createCluster({
    rootNodes: parseClusterNodes(nodes).map((address) => ({ socket: { ...address, socketTimeout: SEED_TIMEOUT_MS } })),
    minimizeConnections: true,
    topologyRefreshOnReconnectionAttemptStrategy: RECONNECT_REFRESH_MS,
    commandOptions: { timeout: options.commandTimeoutMs ?? 5000 },
    defaults: {
      ...(options.password ? { password: options.password } : {}),
      disableOfflineQueue: true,
      pingInterval: PING_INTERVAL_MS,
      socket: {
        connectTimeout: 2000,
        socketTimeout: options.silentNodeTimeoutMs ?? 5000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000) + Math.random() * 100,
      },
    },
  });
}

type NodeRedisCluster = ReturnType<typeof createNodeRedisCluster>;

/** Re-reads the slot map every `periodMs` while the client is connected. */
function withTopologyRefresh(client: NodeRedisCluster, periodMs: number): NodeRedisCluster {
  if (periodMs <= 0) return client;
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  const refresh = () => {
    if (refreshing || !client.isReady) return;
    refreshing = true;
    // Excluding every known node sends node-redis to the seed nodes, which alone carry the
    // short SEED_TIMEOUT_MS: a connected node may be the frozen one, and asking it would cost
    // the whole socket timeout of a command connection.
    client._slots
      .rediscover(undefined, new Set(client.nodeByAddress.keys()))
      // A refresh cut short by close() is no error worth reporting.
      .catch((err: unknown) => client.isOpen && client.emit('error', err))
      .finally(() => (refreshing = false));
  };
  client.on('connect', () => {
    clearInterval(timer);
    // unref: a refresh must never be what keeps a process alive.
    timer = setInterval(refresh, periodMs).unref();
  });
  client.on('disconnect', () => clearInterval(timer));
  // node-redis's duplicate() builds a new cluster from the same options, without our timer;
  // its generic signature widens the type, hence the casts around the same runtime object.
  const duplicate = client.duplicate.bind(client);
  const refreshedDuplicate = (overrides?: Parameters<NodeRedisCluster['duplicate']>[0]) =>
    withTopologyRefresh(duplicate(overrides) as unknown as NodeRedisCluster, periodMs);
  client.duplicate = refreshedDuplicate as unknown as NodeRedisCluster['duplicate'];
  return client;
}

/**
 * Connects, waiting through failures (no seed node answering yet), like `connectRedis`.
 * Resolves once the slot map has been read.
 */
export async function connectRedisCluster(client: RedisClusterClient, onError: (err: unknown) => void): Promise<void> {
  client.on('error', onError);
  client.on('node-error', onError);
  await retryUntilConnected(() => client.connect(), onError);
}
