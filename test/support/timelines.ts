import { expect } from 'vitest';
import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

/**
 * Reads every follower's home timeline straight from Redis and checks that it holds each of
 * `tweetSeqs` exactly once (and nothing else). Returns how many followers were checked.
 */
export async function expectEveryFollowerHasEachOnce(redis: RedisClient, authorId: string, tweetSeqs: (string | number)[]): Promise<number> {
  const followers = await redis.zRange(keys.followers(authorId), 0, -1);
  const expected = tweetSeqs.map(String).sort();
  const BATCH = 10_000;
  let wrong = 0;
  let example = '';
  for (let i = 0; i < followers.length; i += BATCH) {
    const pipeline = redis.multi();
    const slice = followers.slice(i, i + BATCH);
    for (const id of slice) pipeline.lRange(keys.timeline(id), 0, -1);
    const timelines = (await pipeline.execAsPipeline()) as unknown as string[][];
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
