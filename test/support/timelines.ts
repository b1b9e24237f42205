import { expect } from 'vitest';
import { keysOf, type RedisClient } from '@ripple/shared/node';

/** Every follower of `authorId`, read from every bucket. */
export async function followerIds(redis: RedisClient, authorId: string): Promise<string[]> {
  const keys = keysOf(redis);
  return (await Promise.all(keys.layout.all.map((b) => redis.zRange(keys.followers(b, authorId), 0, -1)))).flat();
}

/**
 * Reads every follower's home timeline straight from Redis and checks that it holds each of
 * `tweetSeqs` exactly once (and nothing else). Returns how many followers were checked.
 */
export async function expectEveryFollowerHasEachOnce(redis: RedisClient, authorId: string, tweetSeqs: (string | number)[]): Promise<number> {
  const keys = keysOf(redis);
  const followers = await followerIds(redis, authorId);
  const expected = tweetSeqs.map(String).sort();
  const BATCH = 10_000;
  let wrong = 0;
  let example = '';
  for (let i = 0; i < followers.length; i += BATCH) {
    const slice = followers.slice(i, i + BATCH);
    // One command each: on a cluster the timelines are spread over every master.
    const timelines = await Promise.all(slice.map((id) => redis.lRange(keys.timeline(id), 0, -1)));
    timelines.forEach((entries, j) => {
      if (entries.length !== expected.length || [...entries].sort().some((e, k) => e !== expected[k])) {
        wrong++;
        example ||= `follower ${slice[j]} has [${entries.join(', ')}]`;
      }
    });
  }
  expect(wrong, `${wrong} of ${followers.length} timelines are wrong; e.g. ${example}`).toBe(0);
  return followers.length;
}

/**
 * Reads every follower's home timeline straight from Redis and checks that none holds
 * `tweetSeq`. Returns how many followers were checked.
 */
export async function expectNoFollowerHas(redis: RedisClient, authorId: string, tweetSeq: string | number): Promise<number> {
  const keys = keysOf(redis);
  const followers = await followerIds(redis, authorId);
  const BATCH = 10_000;
  const holding: string[] = [];
  for (let i = 0; i < followers.length; i += BATCH) {
    const slice = followers.slice(i, i + BATCH);
    const found = await Promise.all(slice.map((id) => redis.lPos(keys.timeline(id), String(tweetSeq))));
    found.forEach((position, j) => {
      if (position !== null) holding.push(slice[j]!);
    });
  }
  expect(holding.length, `${holding.length} of ${followers.length} timelines still hold ${tweetSeq}; e.g. follower ${holding[0]}`).toBe(0);
  return followers.length;
}
