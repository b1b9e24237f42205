import { tweetField, tweetView, type Tweet } from '@ripple/shared';
import { defineLuaScript, keysOf, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';

export const cancelScheduledScript = defineLuaScript({
  url: new URL('../lua/cancel-scheduled.lua', import.meta.url),
  keys: ['publishSchedule', 'tweet', 'job', 'scheduledBy'],
  args: ['tweetSeq'],
  reply: z.enum(['cancelled', 'not-scheduled']),
});

/** A tweet as stored, with what decides who may see it. */
export interface StoredTweet {
  tweet: Tweet;
  /** The post job of a tweet still waiting to be published, which only its author may see; null once published. */
  scheduledJob: string | null;
  /** Its post job, scheduled or not; null on a tweet stored before tweets named it. */
  job: string | null;
}

/** The tweet of id `seq`, scheduled or not; null when there is none. */
export async function readTweet(redis: RedisClient, seq: string | number): Promise<StoredTweet | null> {
  const stored = await redis.hGetAll(keysOf(redis).tweet(seq));
  const tweet = tweetView(stored);
  return (
    tweet && { tweet, scheduledJob: stored[tweetField.publishAt] === undefined ? null : (stored[tweetField.job] ?? ''), job: stored[tweetField.job] ?? null }
  );
}

/** The author's tweets still waiting to be published, soonest first. */
export async function listScheduledTweets(redis: RedisClient, authorId: string): Promise<Tweet[]> {
  const seqs = await redis.zRange(keysOf(redis).scheduledBy(authorId), 0, -1);
  const tweets = await Promise.all(seqs.map((seq) => redis.hGetAll(keysOf(redis).tweet(seq))));
  return tweets.map(tweetView).filter((tweet): tweet is Tweet => tweet !== null);
}

/**
 * Cancels a scheduled tweet of `authorId` unless a worker has published it first: the only
 * caller of cancel-scheduled.lua. `jobId` is the tweet's post job (tweetField.job).
 */
export async function cancelScheduledTweet(redis: RedisClient, seq: string, authorId: string, jobId: string): Promise<boolean> {
  const k = keysOf(redis);
  const reply = await cancelScheduledScript.run(
    redis,
    { publishSchedule: k.publishSchedule(k.layout.bucketOf(seq)), tweet: k.tweet(seq), job: k.job(jobId), scheduledBy: k.scheduledBy(authorId) },
    { tweetSeq: seq },
  );
  return reply === 'cancelled';
}
