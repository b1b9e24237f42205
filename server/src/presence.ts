import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';

export interface PresenceTiming {
  /**
   * How long one assertion keeps a user online, in Redis's clock. Longer than any Redis restart
   * we expect (replaying a large append-only file takes tens of seconds), so a live user never
   * lapses during an outage; the price of a long one is that a user who left stays "online" as
   * long, which costs only events sent to a room nobody is in. @defaultValue 60 000
   */
  ttlMs: number;
  /** How often a node re-asserts its users: well within the TTL. @defaultValue 5 000 */
  refreshMs: number;
  /** How soon a refresh that failed (Redis away or loading) is tried again. @defaultValue 250 */
  retryMs: number;
}

export const DEFAULT_PRESENCE_TIMING: PresenceTiming = { ttlMs: 60_000, refreshMs: 5_000, retryMs: 250 };

export interface Presence {
  /** The users with a socket on this node now. */
  localUsers(): Iterable<string>;
  connected(userId: string): void;
  disconnected(userId: string): void;
  stop(): void;
}

/**
 * Who has a live socket, on any server node. Workers read it to publish timeline:new only for
 * followers who can see it. Each node counts its own sockets and keeps re-asserting its users
 * with an expiry, so presence heals by itself: a node that crashed stops asserting and its users
 * expire, and after a Redis outage the node asserts again as soon as Redis answers (on
 * reconnect, and by retrying a failed refresh within `retryMs`), not at its next period: a
 * worker delivering in that gap would take a connected follower for offline and skip the event.
 */
export function startPresence(redis: RedisClient, log: Logger, timing: PresenceTiming = DEFAULT_PRESENCE_TIMING): Presence {
  const sockets = new Map<string, number>();
  const keys = keysOf(redis);

  // Workers compare expiries with Redis's clock, so they are written in Redis's clock too: this
  // node's offset from it is measured at every refresh.
  let clockOffsetMs = 0;
  const redisNow = () => Date.now() + clockOffsetMs;

  const assert = (userIds: string[]) => {
    if (userIds.length === 0) return;
    const until = redisNow() + timing.ttlMs;
    // Online users are kept in their own buckets, where the pages that deliver to them look.
    const byBucket = new Map<number, string[]>();
    for (const id of userIds) {
      const bucket = keys.layout.bucketOf(id);
      const ids = byBucket.get(bucket);
      if (ids) ids.push(id);
      else byBucket.set(bucket, [id]);
    }
    for (const [bucket, ids] of byBucket) {
      redis
        .zAdd(
          keys.online(bucket),
          ids.map((value) => ({ score: until, value })),
          { comparison: 'GT' },
        )
        .catch((err: unknown) => log.warn({ err: String(err) }, 'could not record presence; the next refresh retries'));
    }
  };

  const refresh = async () => {
    const sentAt = Date.now();
    const [seconds, microseconds] = await redis.time();
    clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000) - (sentAt + Date.now()) / 2;
    assert([...sockets.keys()]);
    await Promise.all(keys.layout.all.map((bucket) => redis.zRemRangeByScore(keys.online(bucket), '-inf', redisNow())));
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const refreshNow = () => {
    clearTimeout(timer);
    void refresh().then(
      () => schedule(timing.refreshMs),
      () => schedule(timing.retryMs),
    );
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(refreshNow, ms);
    timer.unref();
  };
  // The first connection is made before this starts, so every `ready` ends an outage.
  redis.on('ready', refreshNow);
  refreshNow();

  return {
    localUsers: () => sockets.keys(),
    connected(userId) {
      sockets.set(userId, (sockets.get(userId) ?? 0) + 1);
      assert([userId]);
    },
    disconnected(userId) {
      const left = (sockets.get(userId) ?? 1) - 1;
      if (left > 0) sockets.set(userId, left);
      else sockets.delete(userId);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      redis.off('ready', refreshNow);
    },
  };
}
