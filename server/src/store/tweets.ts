import { jobField, seqFromTweetId, tweetIdFromSeq, tweetView, jobView, type Job, type PageQuery, type Tweet, type TweetPage } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';

export async function getTweet(redis: RedisClient, seq: string | number): Promise<Tweet | null> {
  return tweetView(await redis.hGetAll(keysOf(redis).tweet(seq)));
}

/** A job and the id of its author (who alone may read it); null when there is no such job. */
export async function getJob(redis: RedisClient, id: string): Promise<{ job: Job; authorId: string } | null> {
  const stored = await redis.hGetAll(keysOf(redis).job(id));
  const job = jobView(stored);
  return job ? { job, authorId: stored[jobField.authorId] ?? '' } : null;
}

async function pageOf(redis: RedisClient, newestFirst: string[], query: PageQuery): Promise<TweetPage> {
  const more = newestFirst.length > query.limit;
  const page = newestFirst.slice(0, query.limit);
  const tweets = (await Promise.all(page.map((seq) => getTweet(redis, seq)))).filter((t): t is Tweet => t !== null);
  const last = page[page.length - 1];
  return { tweets, nextBefore: more && last ? tweetIdFromSeq(last) : null };
}

/** One page of a user's own tweets (a sorted set of sequence numbers), newest first, older than `before`. */
export async function readUserTweets(redis: RedisClient, userId: string, query: PageQuery): Promise<TweetPage> {
  const max = query.before ? `(${seqFromTweetId(query.before)}` : '+inf';
  const seqs = await redis.zRange(keysOf(redis).userTweets(userId), max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: query.limit + 1 } });
  return pageOf(redis, seqs, query);
}

/**
 * One page of a home timeline, newest first, older than `before`. The timeline is a list in
 * delivery order, which concurrent fan-outs can leave slightly out of id order, and lazy
 * trimming lets it run a little past TIMELINE_MAX; so the whole list (at most ~900 small
 * integers) is read, sorted by id, and cut to the newest TIMELINE_MAX.
 */
export async function readHomeTimeline(redis: RedisClient, userId: string, query: PageQuery, timelineMax: number): Promise<TweetPage> {
  const before = query.before ? seqFromTweetId(query.before) : Number.POSITIVE_INFINITY;
  const seqs = (await redis.lRange(keysOf(redis).timeline(userId), 0, -1))
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, timelineMax)
    .filter((seq) => seq < before)
    .map((seq) => seq.toFixed(0));
  return pageOf(redis, seqs, query);
}
