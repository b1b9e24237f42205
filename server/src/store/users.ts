import { keys, userField, type User } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

/**
 * Creates a user, or returns null when the handle is taken. The record is written before the
 * handle is claimed with HSETNX, so a handle never points at a user that does not exist.
 */
export async function createUser(redis: RedisClient, handle: string, passwordHash: string): Promise<string | null> {
  const id = String(await redis.incr(keys.seq.user));
  await redis.hSet(keys.user(id), {
    [userField.id]: id,
    [userField.handle]: handle,
    [userField.pass]: passwordHash,
    [userField.createdAt]: Date.now(),
  });
  if (await redis.hSetNX(keys.handles, handle, id)) return id;
  await redis.del(keys.user(id));
  return null;
}

export async function findUserIdByHandle(redis: RedisClient, handle: string): Promise<string | null> {
  return (await redis.hGet(keys.handles, handle)) ?? null;
}

export async function getPasswordHash(redis: RedisClient, id: string): Promise<string | null> {
  return (await redis.hGet(keys.user(id), userField.pass)) ?? null;
}

/** The API's User with live follower and following counts; null when there is no such user. */
export async function getUser(redis: RedisClient, id: string): Promise<User | null> {
  const [handle, followers, following] = await Promise.all([
    redis.hGet(keys.user(id), userField.handle),
    redis.zCard(keys.followers(id)),
    redis.sCard(keys.following(id)),
  ]);
  if (!handle) return null;
  return { id, handle, followers: Number(followers), following: Number(following) };
}
