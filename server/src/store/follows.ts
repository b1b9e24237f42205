import { userField } from '@ripple/shared';
import { defineLuaScript, keysOf, type LuaKeysOf, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';

/** {changed (1 or 0), followers in the bucket, the version they were read at}. */
const bucketSize = z.tuple([z.number(), z.number(), z.number()]);
type BucketSize = z.infer<typeof bucketSize>;

export const reserveFollowsScript = defineLuaScript({
  url: new URL('../lua/reserve-follows.lua', import.meta.url),
  keys: ['audience'],
  args: ['count'],
  rest: 'buckets',
  reply: z.number(),
});
export const addFollowerScript = defineLuaScript({
  url: new URL('../lua/add-follower.lua', import.meta.url),
  keys: ['followers', 'following', 'version'],
  args: ['followerId', 'authorId', 'seq'],
  reply: bucketSize,
});
export const removeFollowerScript = defineLuaScript({
  url: new URL('../lua/remove-follower.lua', import.meta.url),
  keys: ['followers', 'following', 'version'],
  args: ['followerId', 'authorId'],
  reply: bucketSize,
});
export const syncAudienceScript = defineLuaScript({
  url: new URL('../lua/sync-audience.lua', import.meta.url),
  keys: ['audience'],
  args: ['bucket', 'followers', 'version'],
  reply: z.union([z.literal(0), z.literal(1)]),
});
export const addSyntheticFollowersScript = defineLuaScript({
  url: new URL('../lua/add-synthetic-followers.lua', import.meta.url),
  keys: ['followers', 'version'],
  args: ['firstUser', 'firstSeq', 'step', 'count'],
  /** {followers in the bucket, version}. */
  reply: z.tuple([z.number(), z.number()]),
});

async function sync(redis: RedisClient, authorId: string, bucket: number, [, size, version]: BucketSize): Promise<void> {
  await syncAudienceScript.run(redis, { audience: keysOf(redis).audience(authorId) }, { bucket, followers: size, version });
}

/** The keys of a follow in the follower's bucket. */
function followerKeys(redis: RedisClient, followerId: string, authorId: string): LuaKeysOf<typeof addFollowerScript> {
  const k = keysOf(redis);
  const bucket = k.layout.bucketOf(followerId);
  return { followers: k.followers(bucket, authorId), following: k.following(followerId), version: k.followersVersion(bucket, authorId) };
}

/**
 * A follow touches two buckets, the follower's (who follows whom) and the author's (how many
 * follow, read by admission), which on a cluster are on different masters; so it is three
 * steps, each atomic in its bucket:
 * 1. take a follow sequence number in the author's bucket, marking the follower's bucket in the
 *    audience, so that every later tweet looks there;
 * 2. join the followers in the follower's bucket;
 * 3. sync that bucket's count back to the audience.
 * A crash between steps leaves a sequence number unused (harmless), or a count behind by one
 * until the next follow or unfollow in that bucket syncs it, or the client's retry of the same
 * follow does. Meanwhile tweets still reach the follower (the bucket is marked), and the job's
 * total is corrected to what its pages delivered when it ends.
 *
 * Following twice is not an error: the first follow (and its place in the order) stands.
 */
export async function follow(redis: RedisClient, followerId: string, authorId: string): Promise<void> {
  const k = keysOf(redis);
  const bucket = k.layout.bucketOf(followerId);
  const seq = await reserveFollowsScript.run(redis, { audience: k.audience(authorId) }, { count: 1, buckets: [bucket] });
  const size = await addFollowerScript.run(redis, followerKeys(redis, followerId, authorId), { followerId, authorId, seq });
  await sync(redis, authorId, bucket, size);
}

export async function unfollow(redis: RedisClient, followerId: string, authorId: string): Promise<void> {
  const k = keysOf(redis);
  const bucket = k.layout.bucketOf(followerId);
  const size = await removeFollowerScript.run(redis, followerKeys(redis, followerId, authorId), { followerId, authorId });
  await sync(redis, authorId, bucket, size);
}

/**
 * Synthetic users added per script call. A script holds Redis while it runs: 10 000 took
 * 20–45 ms into a follower set of a million, 2 500 takes about a quarter of that, so no call
 * comes near the 50 ms that would stall everyone else.
 */
const SYNTHETIC_SLICE = 2_500;

/**
 * Counts `count` more synthetic followers against the account's total, or answers false and
 * counts nothing when that would pass `max`. The increment is the check, so racing requests
 * can never pass the total together; a request that fails later keeps its share counted,
 * erring on the side of the limit.
 */
export async function reserveSyntheticFollowers(redis: RedisClient, userId: string, count: number, max: number): Promise<boolean> {
  const key = keysOf(redis).user(userId);
  if ((await redis.hIncrBy(key, userField.syntheticFollowers, count)) <= max) return true;
  await redis.hIncrBy(key, userField.syntheticFollowers, -count);
  return false;
}

/**
 * Creates `count` synthetic users following `userId`: a block of user ids and one of follow
 * sequence numbers, then each bucket's share in slices, each bucket's count synced at the end.
 * If Redis goes away mid-way, the followers added so far stay (they are real follows); the
 * request answers 503 and may be repeated.
 */
export async function addSyntheticFollowers(redis: RedisClient, userId: string, count: number): Promise<void> {
  const k = keysOf(redis);
  const { buckets } = k.layout;
  const firstUser = (await redis.incrBy(k.userSeq, count)) - count + 1;
  const joined = Array.from({ length: Math.min(count, buckets) }, (_, i) => k.layout.bucketOf(firstUser + i));
  const firstSeq = await reserveFollowsScript.run(redis, { audience: k.audience(userId) }, { count, buckets: joined });
  await Promise.all(
    k.layout.all.map(async (bucket) => {
      // The first user of the block in this bucket, and how many of the block are in it.
      const offset = (((bucket - firstUser) % buckets) + buckets) % buckets;
      const inBucket = offset < count ? Math.ceil((count - offset) / buckets) : 0;
      let size: [number, number] | undefined;
      for (let done = 0; done < inBucket; done += SYNTHETIC_SLICE) {
        const i = offset + done * buckets;
        size = await addSyntheticFollowersScript.run(
          redis,
          { followers: k.followers(bucket, userId), version: k.followersVersion(bucket, userId) },
          { firstUser: firstUser + i, firstSeq: firstSeq + i, step: buckets, count: Math.min(SYNTHETIC_SLICE, inBucket - done) },
        );
      }
      if (size) await sync(redis, userId, bucket, [1, size[0], size[1]]);
    }),
  );
}
