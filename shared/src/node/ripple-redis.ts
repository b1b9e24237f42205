/**
 * One Redis handle for the whole code base, whether it talks to a single redis-server or to a
 * Redis Cluster. Everything above this module is written against node-redis's client API and
 * asks `keysOf(redis)` for its key names; a cluster client is adapted here, in one place, to
 * the few spots where node-redis's cluster API differs from the single client's:
 * - `sendCommand(args)` (scripts): the cluster client must be told which key routes the
 *   command; for EVAL/EVALSHA it is the first declared key;
 * - `ready`: a single client emits it on every (re)connection, and callers use it to learn that
 *   an outage ended; a cluster client emits `node-ready` per node instead, which is turned
 *   into `ready` when a node that was connected before connects again.
 * Multi/exec, pipelines and keyed commands route by their first key on both: callers keep each
 * one within one bucket (one slot).
 */
import { CLUSTER_BUCKETS, keysFor, layoutOf, SINGLE_REDIS_BUCKETS, type RippleKeys } from '../index.js';
import { LOCAL_DATA_DIR, readLocalSecret, REDIS_PASSWORD_FILE } from './local-secret.js';
import type { Logger } from './logger.js';
import { connectRedis, createRedisClient, type RedisClient, type RedisClientOptions } from './redis-client.js';
import { readSettings, sharedSettings } from './settings.js';
import { connectRedisCluster, createRedisClusterClient, type RedisClusterClient, type RedisClusterClientOptions } from './redis-cluster-client.js';

/**
 * Where Ripple's data lives: one redis-server (a password goes in the URL,
 * `redis://:<password>@host:port`), or a cluster named by seed nodes, whose `host:port` list has
 * no room for one: its password is given apart (REDIS_PASSWORD), the same for every node.
 */
export type RedisTarget = { kind: 'single'; url: string } | { kind: 'cluster'; nodes: string; password?: string | undefined };

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `url` with `password` in it, as node-redis reads it. */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/**
 * The target of parsed settings: `REDIS_CLUSTER_NODES` (and `REDIS_PASSWORD`) when set (then
 * `REDIS_URL` is ignored), else `REDIS_URL`. Without REDIS_URL it is the local Redis, with the
 * password `npm start` generated for the one it runs, if it ever did, so that a server, worker
 * or bench started by hand finds it.
 */
export function redisTargetOf(
  s: { REDIS_URL?: string | undefined; REDIS_CLUSTER_NODES?: string | undefined; REDIS_PASSWORD?: string | undefined },
  dataDir: string = LOCAL_DATA_DIR,
): RedisTarget {
  if (s.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: s.REDIS_CLUSTER_NODES, password: s.REDIS_PASSWORD };
  if (s.REDIS_URL) return { kind: 'single', url: s.REDIS_URL };
  const password = readLocalSecret(REDIS_PASSWORD_FILE, dataDir);
  return { kind: 'single', url: password ? withPassword(DEFAULT_REDIS_URL, password) : DEFAULT_REDIS_URL };
}

/** The target from the environment; throws a SettingError naming a bad setting. */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv = process.env, dataDir: string = LOCAL_DATA_DIR): RedisTarget {
  const { REDIS_URL, REDIS_CLUSTER_NODES, REDIS_PASSWORD } = sharedSettings;
  return redisTargetOf(readSettings({ REDIS_URL, REDIS_CLUSTER_NODES, REDIS_PASSWORD }, env), dataDir);
}

/** A URL fit for a log line: its password, if any, masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unreadable URL)';
  }
}

/** How a target reads in a log line; never with its password. */
export const describeRedisTarget = (target: RedisTarget): string => (target.kind === 'cluster' ? `cluster ${target.nodes}` : redactUrl(target.url));

const clusters = new WeakMap<object, RedisClusterClient>();
const keysByClient = new WeakMap<object, RippleKeys>();

/** A client for `target`, not yet connected; see `connectRipple`. */
export function createRippleRedis(target: RedisTarget, options: RedisClientOptions & RedisClusterClientOptions = {}): RedisClient {
  return target.kind === 'single'
    ? createRedisClient(target.url, options)
    : adaptCluster(createRedisClusterClient(target.nodes, { ...options, password: target.password }));
}

/** The node-redis cluster client behind `redis`, or undefined for a single Redis. */
export const clusterOf = (redis: RedisClient): RedisClusterClient | undefined => clusters.get(redis);

/** Keys laid out for the kind of Redis `redis` talks to: one bucket, or CLUSTER_BUCKETS. */
export function keysOf(redis: RedisClient): RippleKeys {
  let found = keysByClient.get(redis);
  if (!found) {
    found = keysFor(layoutOf(clusters.has(redis) ? CLUSTER_BUCKETS : SINGLE_REDIS_BUCKETS));
    keysByClient.set(redis, found);
  }
  return found;
}

/** Connects, waiting through failures; see `connectRedis` and `connectRedisCluster`. */
export function connectRipple(redis: RedisClient, onError: (err: unknown) => void): Promise<void> {
  const cluster = clusters.get(redis);
  return cluster ? connectRedisCluster(cluster, onError) : connectRedis(redis, onError);
}

/**
 * Waits up to `timeoutMs` for `replicas` replicas of the master holding `key` to confirm this
 * client's writes to that master so far; resolves with how many did. On a single Redis there
 * is no replica to ask, and it resolves with `replicas` at once.
 *
 * Sent on the master's own connection, the one this client's writes to it went through (WAIT
 * counts the writes of its connection). Not through the cluster client's sendCommand: that
 * routes WAIT by its command policy, to every master, whatever key it is given.
 */
export async function waitForReplicas(redis: RedisClient, key: string, replicas: number, timeoutMs: number): Promise<number> {
  const cluster = clusters.get(redis);
  if (!cluster) return replicas;
  const master = await cluster.getNodeClientForKey(key, false);
  // A master with too few replicas connected (a cluster run without them, or one just promoted)
  // cannot confirm: asking would only cost the whole timeout, every time.
  const connected = await connectedReplicas(master);
  if (connected < replicas) return connected;
  return Number(await master.sendCommand(['WAIT', String(replicas), String(timeoutMs)]));
}

/** How long a master's count of connected replicas is trusted before it is asked again. */
const REPLICA_COUNT_TTL_MS = 1000;
const replicaCounts = new WeakMap<object, { count: number; at: number }>();

/** Replicas connected to a master, as its INFO said at most REPLICA_COUNT_TTL_MS ago. */
async function connectedReplicas(master: { sendCommand(args: string[]): Promise<unknown> }): Promise<number> {
  const cached = replicaCounts.get(master);
  if (cached && Date.now() - cached.at < REPLICA_COUNT_TTL_MS) return cached.count;
  const info = String(await master.sendCommand(['INFO', 'replication']));
  const count = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
  replicaCounts.set(master, { count, at: Date.now() });
  return count;
}

/**
 * What a server or worker process does before anything else: connect every client (waiting
 * through an outage, logging each failure), then check the data set's layout; on an old one it
 * logs why and exits 1, since nothing it could do would be right.
 */
export async function connectProcessClients(log: Logger, clients: readonly RedisClient[]): Promise<void> {
  const onError = (err: unknown) => log.warn({ err: String(err) }, 'redis connection error');
  await Promise.all(clients.map((client) => connectRipple(client, onError)));
  try {
    await assertCurrentLayout(clients[0]!);
  } catch (err) {
    log.fatal((err as Error).message);
    process.exit(1);
  }
}

/** Keys only a Ripple from before bucket tags wrote (one global sequence, backlog and events stream). */
const PRE_BUCKET_KEYS = ['ripple:seq:tweet', 'ripple:backlog', 'ripple:events'];

/**
 * Throws, with one line that says what to do, when Redis holds a data set of the layout before
 * bucket tags: its users and tweets are invisible to this version, and its handles would lock
 * their owners out (taken, yet no account behind them). There is no migration.
 */
export async function assertCurrentLayout(redis: RedisClient): Promise<void> {
  const found = (await Promise.all(PRE_BUCKET_KEYS.map(async (key) => ((await redis.exists(key)) ? key : null)))).filter(Boolean);
  if (found.length > 0) {
    throw new Error(
      `this Redis holds data of an older Ripple (keys without bucket tags, such as ${found[0]}); ` +
        'start from an empty one (for npm start, remove .data/) or point REDIS_URL elsewhere',
    );
  }
}

/** The key a raw command routes by: EVAL/EVALSHA's first declared key, else the first argument. */
function routingKey(args: readonly string[]): string | undefined {
  const name = args[0]?.toUpperCase();
  if (name === 'EVAL' || name === 'EVALSHA' || name === 'EVAL_RO' || name === 'EVALSHA_RO') {
    return Number(args[2]) > 0 ? args[3] : undefined;
  }
  return args[1];
}

function adaptCluster(cluster: RedisClusterClient): RedisClient {
  const adapted = cluster as unknown as RedisClient & { sendCommand: unknown };
  const send = cluster.sendCommand.bind(cluster);
  adapted.sendCommand = ((args: string[], options?: Parameters<typeof send>[3]) => send(routingKey(args), false, args, options)) as never;
  // Nodes connect on first use (minimizeConnections), so a node's first `node-ready` is no
  // outage ending; only a node that was ready before and is ready again is a reconnection.
  const seen = new Set<string>();
  cluster.on('node-ready', (node: { host?: string; port?: number }) => {
    const address = `${node.host}:${node.port}`;
    if (seen.has(address)) cluster.emit('ready');
    seen.add(address);
  });
  const duplicate = cluster.duplicate.bind(cluster);
  adapted.duplicate = ((...overrides: Parameters<typeof duplicate>) => adaptCluster(duplicate(...overrides) as unknown as RedisClusterClient)) as never;
  clusters.set(adapted, cluster);
  return adapted;
}
