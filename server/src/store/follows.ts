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

/**
 * Creates `count` synthetic users following `userId` in one atomic script call: if Redis goes
 * away mid-way, nothing was written, as the contract promises for a 503. The price is that a
 * million followers hold Redis for about a second; this is a demo-only endpoint.
 */
export async function addSyntheticFollowers(redis: RedisClient, userId: string, count: number): Promise<void> {
  await addSynthetic.run(redis, [keys.followers(userId), keys.seq.user, keys.seq.follow], [count]);
}
