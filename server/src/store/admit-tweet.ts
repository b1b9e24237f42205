import { EVENTS_MAX_LEN, IDEMPOTENCY_TTL_S, JOB_RETENTION_S, jobView, keys, timelineTrimAt, tweetView, TWEET_ID_DIGITS, type Job, type Tweet } from '@ripple/shared';
import { hashFromFlat, loadLuaScript, type RedisClient } from '@ripple/shared/node';

const script = loadLuaScript(new URL('../lua/admit-tweet.lua', import.meta.url));


export interface AdmitTweetArgs {
  authorId: string;
  text: string;
  idempotencyKey: string | undefined;
  maxBacklog: number;
  timelineMax: number;
  chunkSize: number;
}

export type AdmitResult =
  | { outcome: 'new' | 'dup'; tweet: Tweet; job: Job }
  | { outcome: 'overloaded'; backlog: number }
  | { outcome: 'no-user' };


/**
 * Stores the tweet, puts it in the author's timeline and enqueues its fan-out job in one atomic
 * step; or answers the earlier tweet for a repeated Idempotency-Key; or refuses, writing nothing,
 * when the fan-out backlog is over the limit. One round trip either way: the script returns the
 * stored tweet and job. The only caller of admit-tweet.lua.
 */
export async function admitTweet(redis: RedisClient, a: AdmitTweetArgs): Promise<AdmitResult> {
  const reply = (await script.run(
    redis,
    [
      a.idempotencyKey ? keys.idempotency(a.authorId, a.idempotencyKey) : keys.idempotency(a.authorId, ''),
      keys.seq.tweet,
      keys.seq.job,
      keys.seq.follow,
      keys.followers(a.authorId),
      keys.backlog,
      keys.fanoutLanes.small,
      keys.userTweets(a.authorId),
      keys.timeline(a.authorId),
      keys.eventsStream,
      keys.stats,
      keys.fanoutLanes.bulk,
      keys.user(a.authorId),
    ],
    [
      a.authorId,
      a.text,
      a.idempotencyKey ? IDEMPOTENCY_TTL_S : 0,
      a.maxBacklog,
      a.timelineMax,
      keys.tweet(''),
      keys.job(''),
      EVENTS_MAX_LEN,
      TWEET_ID_DIGITS,
      a.chunkSize,
      JOB_RETENTION_S,
      timelineTrimAt(a.timelineMax),
    ],
  )) as [string, ...unknown[]];
  if (reply[0] === 'overloaded') return { outcome: 'overloaded', backlog: Number(reply[1]) };
  if (reply[0] === 'no-user') return { outcome: 'no-user' };
  const tweet = tweetView(hashFromFlat(reply[3]));
  const job = jobView(hashFromFlat(reply[4]));
  if (!tweet || !job) throw new Error(`admitted tweet ${String(reply[1])} / job ${String(reply[2])} not readable`);
  return { outcome: reply[0] as 'new' | 'dup', tweet, job };
}
