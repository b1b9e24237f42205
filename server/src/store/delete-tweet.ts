import { CURSOR_STOPPED_RETENTION_S, EVENTS_MAX_LEN, JOB_RETENTION_S, jobView, tweetIdFromSeq, type Job } from '@ripple/shared';
import { defineLuaScript, keysOf, luaHash, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';
import { getTweet } from './tweets.js';

/** delete-tweet.lua, its KEYS and ARGV named as its header lists them. */
export const deleteTweetScript = defineLuaScript({
  url: new URL('../lua/delete-tweet.lua', import.meta.url),
  keys: ['tweet', 'userTweets', 'timeline', 'audience', 'jobSeq', 'smallLane', 'bulkLane', 'events', 'backlog', 'smallBacklog', 'authorBacklog'],
  args: [
    'callerId',
    'tweetSeq',
    'tweetId',
    'jobPrefix',
    'cursorPrefix',
    'chunkSize',
    'smallAudience',
    'jobRetentionS',
    'stoppedRetentionS',
    'eventsMaxLen',
    'buckets',
    'bucket',
  ],
  reply: z.union([z.tuple([z.literal('deleted'), luaHash]), z.tuple([z.enum(['not-found', 'forbidden'])])]),
});

export interface DeleteTweetArgs {
  callerId: string;
  tweetSeq: string;
  chunkSize: number;
  smallAudience: number;
}

export type DeleteResult = { outcome: 'deleted'; job: Job } | { outcome: 'not-found' | 'forbidden' };

/**
 * Tombstones a tweet, takes it out of its author's own timeline and tweets, and queues the
 * delete job that takes it out of every follower's timeline; or refuses, writing nothing. One
 * atomic step in the tweet's (its author's) bucket. The only caller of delete-tweet.lua.
 */
export async function deleteTweet(redis: RedisClient, a: DeleteTweetArgs): Promise<DeleteResult> {
  const keys = keysOf(redis);
  const bucket = keys.layout.bucketOf(a.tweetSeq);
  // A tweet lives in its author's bucket: one in another cannot be the caller's, and the script
  // could not name the caller's keys beside it (another slot, on a cluster).
  if (bucket !== keys.layout.bucketOf(a.callerId)) return { outcome: (await getTweet(redis, a.tweetSeq)) ? 'forbidden' : 'not-found' };
  const lanes = keys.fanoutLanes(bucket);
  const reply = await deleteTweetScript.run(
    redis,
    {
      tweet: keys.tweet(a.tweetSeq),
      userTweets: keys.userTweets(a.callerId),
      timeline: keys.timeline(a.callerId),
      audience: keys.audience(a.callerId),
      jobSeq: keys.jobSeq(bucket),
      smallLane: lanes.small,
      bulkLane: lanes.bulk,
      events: keys.eventsStream(bucket),
      backlog: keys.backlog(bucket),
      smallBacklog: keys.smallBacklog(bucket),
      authorBacklog: keys.authorBacklog(a.callerId),
    },
    {
      callerId: a.callerId,
      tweetSeq: a.tweetSeq,
      tweetId: tweetIdFromSeq(a.tweetSeq),
      jobPrefix: keys.jobPrefix(bucket),
      cursorPrefix: keys.cursorPrefix(bucket),
      chunkSize: a.chunkSize,
      smallAudience: a.smallAudience,
      jobRetentionS: JOB_RETENTION_S,
      stoppedRetentionS: CURSOR_STOPPED_RETENTION_S,
      eventsMaxLen: EVENTS_MAX_LEN,
      buckets: keys.layout.buckets,
      bucket,
    },
  );
  if (reply[0] !== 'deleted') return { outcome: reply[0] };
  const job = jobView(reply[1]);
  if (!job) throw new Error(`delete job of tweet ${a.tweetSeq} not readable`);
  return { outcome: 'deleted', job };
}
