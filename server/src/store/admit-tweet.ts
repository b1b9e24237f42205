import { EVENTS_MAX_LEN, IDEMPOTENCY_TTL_S, JOB_RETENTION_S, keys, timelineTrimAt, TWEET_ID_DIGITS } from '@ripple/shared';
import { loadLuaScript, type RedisClient } from '@ripple/shared/node';

const script = loadLuaScript(new URL('../lua/admit-tweet.lua', import.meta.url));


export interface AdmitTweetArgs {
  authorId: string;
  authorHandle: string;
  text: string;
  idempotencyKey: string | undefined;
  maxBacklog: number;
  timelineMax: number;
  chunkSize: number;
}

export type AdmitResult =
  | { outcome: 'new' | 'dup'; tweetSeq: string; jobId: string }
  | { outcome: 'overloaded'; backlog: number };

/**
 * Stores the tweet, puts it in the author's timeline and enqueues its fan-out job in one atomic
 * step; or answers the earlier tweet for a repeated Idempotency-Key; or refuses, writing nothing,
 * when the fan-out backlog is over the limit. The only caller of admit-tweet.lua.
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
    ],
    [
      a.authorId,
      a.authorHandle,
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
  )) as [string, string | number, string?];
  if (reply[0] === 'overloaded') return { outcome: 'overloaded', backlog: Number(reply[1]) };
  return { outcome: reply[0] as 'new' | 'dup', tweetSeq: String(reply[1]), jobId: String(reply[2]) };
}
