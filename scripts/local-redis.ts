/**
 * The command line of the redis-server that `npm start` runs when no Redis answers at REDIS_URL.
 * Kept apart from scripts/start.ts, which runs on import, so that a test can start a redis-server
 * with exactly these arguments and read back what they set.
 */

/**
 * Every write goes to an append-only file that is fsynced once a second: a crash of the Redis
 * process loses nothing, a crash of the machine at most about a second of writes (README,
 * "Durability"). docker-compose.yml gives its Redis the same two settings.
 */
export const DURABILITY_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec'] as const;

/**
 * A bound on memory, and writes refused (OOM) rather than keys evicted when it is reached:
 * evicting would silently drop accepted tweets, queued jobs or follows. Ripple answers a refused
 * write 503 unavailable and workers retry it, so a full Redis stalls instead of losing work.
 * 1 GB holds several million follows and a long backlog (README, "Redis memory").
 */
export const MEMORY_ARGS = ['--maxmemory', '1gb', '--maxmemory-policy', 'noeviction'] as const;

export interface LocalRedisOptions {
  /** Port from REDIS_URL. */
  port: string;
  /** Where the append-only file and redis.log live (`.data/` for `npm start`). */
  dataDir: string;
}

/**
 * Arguments that make redis-server read more configuration from its standard input; put before
 * the others. Then `passwordConfig` is written there.
 */
export const CONFIG_FROM_STDIN = ['-'] as const;

/**
 * Configuration that makes redis-server require `password` from every client, and, on a cluster
 * node, give it to its master. Sent on standard input, not on the command line, where `ps`
 * shows it to every user of the machine.
 */
export const passwordConfig = (password: string): string => `requirepass ${password}\nmasterauth ${password}\n`;

/** Arguments for `redis-server` (the binary's name not included). */
export function localRedisArgs({ port, dataDir }: LocalRedisOptions): string[] {
  return [
    '--port',
    port,
    '--bind',
    '127.0.0.1',
    '--dir',
    dataDir,
    '--logfile',
    'redis.log',
    ...DURABILITY_ARGS,
    ...MEMORY_ARGS,
    // No RDB snapshots: the append-only file is the one copy of the data.
    '--save',
    '',
  ];
}
