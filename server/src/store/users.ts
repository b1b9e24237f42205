import { audienceTotal, userField, type User } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';

/**
 * Creates a user, or returns null when the handle is taken. The record is written before the
 * handle is claimed with HSETNX, so a handle never points at a user that does not exist.
 */
export async function createUser(redis: RedisClient, handle: string, passwordHash: string): Promise<string | null> {
  const keys = keysOf(redis);
  const id = String(await redis.incr(keys.userSeq));
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
  return (await redis.hGet(keysOf(redis).handles, handle)) ?? null;
}

export async function getPasswordHash(redis: RedisClient, id: string): Promise<string | null> {
  return (await redis.hGet(keysOf(redis).user(id), userField.pass)) ?? null;
}

/** Replaces a stored hash, e.g. with one at today's parameters after a sign-in. */
export async function setPasswordHash(redis: RedisClient, id: string, passwordHash: string): Promise<void> {
  await redis.hSet(keysOf(redis).user(id), userField.pass, passwordHash);
}

/** The API's User with live follower and following counts; null when there is no such user. */
export async function getUser(redis: RedisClient, id: string): Promise<User | null> {
  const keys = keysOf(redis);
  const [handle, audience, following] = await Promise.all([
    redis.hGet(keys.user(id), userField.handle),
    redis.hGetAll(keys.audience(id)),
    redis.sCard(keys.following(id)),
  ]);
  if (!handle) return null;
  return { id, handle, followers: audienceTotal(audience), following: Number(following) };
}
