import { keys, seqFromTweetId, tweetIdFromSeq, tweetView, jobView, type Job, type PageQuery, type Tweet, type TweetPage } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

export async function getTweet(redis: RedisClient, seq: string | number): Promise<Tweet | null> {
  return tweetView(await redis.hGetAll(keys.tweet(seq)));
}

/** A job and the id of its author (who alone may read it); null when there is no such job. */
export async function getJob(redis: RedisClient, id: string): Promise<{ job: Job; authorId: string } | null> {
  const stored = await redis.hGetAll(keys.job(id));
  const job = jobView(stored);
  return job ? { job, authorId: stored.authorId ?? '' } : null;
}

/**
 * One page of a sorted set of tweet sequence numbers (a home timeline or a user's tweets),
 * newest first, strictly older than `before`.
 */
export async function readTweetPage(redis: RedisClient, key: string, query: PageQuery): Promise<TweetPage> {
  const max = query.before ? `(${seqFromTweetId(query.before)}` : '+inf';
  const seqs = await redis.zRange(key, max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: query.limit + 1 } });
  const more = seqs.length > query.limit;
  const page = seqs.slice(0, query.limit);
  const tweets = (await Promise.all(page.map((seq) => getTweet(redis, seq)))).filter((t): t is Tweet => t !== null);
  const last = page[page.length - 1];
  return { tweets, nextBefore: more && last ? tweetIdFromSeq(last) : null };
}
