import { keys } from '@ripple/shared';
import type { Logger, RedisClient } from '@ripple/shared/node';

/** How long one assertion keeps a user online. */
const ONLINE_TTL_MS = 15_000;
/** How often a node re-asserts its users: well within the TTL, so a live user never lapses. */
const REFRESH_MS = 5_000;

export interface Presence {
  connected(userId: string): void;
  disconnected(userId: string): void;
  stop(): void;
}

/**
 * Who has a live socket, on any server node. Workers read it to publish timeline:new only for
 * followers who can see it. Each node counts its own sockets and keeps re-asserting its users
 * with an expiry, so presence heals by itself: after a Redis outage the next refresh writes it
 * again, and a node that crashed stops asserting and its users expire. A user who left stays
 * "online" for at most the TTL, which costs only a few events sent to an empty room.
 */
export function startPresence(redis: RedisClient, log: Logger): Presence {
  const sockets = new Map<string, number>();

  // Workers compare expiries with Redis's clock, so they are written in Redis's clock too: this
  // node's offset from it is measured at every refresh.
  let clockOffsetMs = 0;
  const redisNow = () => Date.now() + clockOffsetMs;

  const assert = (userIds: string[]) => {
    if (userIds.length === 0) return;
    const until = redisNow() + ONLINE_TTL_MS;
    redis
      .zAdd(keys.online, userIds.map((value) => ({ score: until, value })), { comparison: 'GT' })
      .catch((err: unknown) => log.warn({ err: String(err) }, 'could not record presence; the next refresh retries'));
  };

  const refresh = async () => {
    const sentAt = Date.now();
    const [seconds, microseconds] = await redis.time();
    clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000) - (sentAt + Date.now()) / 2;
    assert([...sockets.keys()]);
    await redis.zRemRangeByScore(keys.online, '-inf', redisNow());
  };
  void refresh().catch(() => {});
  const timer = setInterval(() => void refresh().catch(() => {}), REFRESH_MS);
  timer.unref();

  return {
    connected(userId) {
      sockets.set(userId, (sockets.get(userId) ?? 0) + 1);
      assert([userId]);
    },
    disconnected(userId) {
      const left = (sockets.get(userId) ?? 1) - 1;
      if (left > 0) sockets.set(userId, left);
      else sockets.delete(userId);
    },
    stop: () => clearInterval(timer),
  };
}
