import { keys } from '@ripple/shared';
import { loadLuaScript, type RedisClient } from '@ripple/shared/node';

const followUser = loadLuaScript(new URL('../lua/follow-user.lua', import.meta.url));
const addSynthetic = loadLuaScript(new URL('../lua/add-synthetic-followers.lua', import.meta.url));

/** Following twice is not an error: the first follow (and its place in the order) stands. */
export async function follow(redis: RedisClient, followerId: string, followeeId: string): Promise<void> {
  await followUser.run(redis, [keys.followers(followeeId), keys.following(followerId), keys.seq.follow], [followerId, followeeId]);
}

export async function unfollow(redis: RedisClient, followerId: string, followeeId: string): Promise<void> {
  await redis.multi().zRem(keys.followers(followeeId), followerId).sRem(keys.following(followerId), followeeId).exec();
}

/** Followers added per script call: big enough to amortise a round trip, small enough to keep Redis responsive. */
const SYNTHETIC_BATCH = 10_000;
/** Batches in flight at once; node-redis pipelines them on one connection. */
const SYNTHETIC_IN_FLIGHT = 4;

/** Creates `count` synthetic users following `userId`, in pipelined atomic batches. */
export async function addSyntheticFollowers(redis: RedisClient, userId: string, count: number): Promise<void> {
  const batches: number[] = [];
  for (let left = count; left > 0; left -= SYNTHETIC_BATCH) batches.push(Math.min(left, SYNTHETIC_BATCH));
  const scriptKeys = [keys.followers(userId), keys.seq.user, keys.seq.follow];
  for (let i = 0; i < batches.length; i += SYNTHETIC_IN_FLIGHT) {
    await Promise.all(batches.slice(i, i + SYNTHETIC_IN_FLIGHT).map((n) => addSynthetic.run(redis, scriptKeys, [n])));
  }
}
