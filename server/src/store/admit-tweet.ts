import { EVENTS_MAX_LEN, IDEMPOTENCY_TTL_S, JOB_RETENTION_S, jobView, timelineTrimAt, tweetView, TWEET_ID_DIGITS, type Job, type Tweet } from '@ripple/shared';
import { hashFromFlat, keysOf, loadLuaScript, type RedisClient } from '@ripple/shared/node';
import { createHash } from 'node:crypto';
import type { OtherBacklog } from '../backlog-sampler.js';
import type { AdmissionBounds } from '../config.js';

const script = loadLuaScript(new URL('../lua/admit-tweet.lua', import.meta.url));


export interface AdmitTweetArgs {
  authorId: string;
  /** Normalised (tweet-text.ts): a repeated Idempotency-Key must come with the same one. */
  text: string;
  idempotencyKey: string | undefined;
  bounds: AdmissionBounds;
  timelineMax: number;
  chunkSize: number;
  /** The backlogs counted in the other buckets, as last sampled (0 on a single Redis). */
  otherBacklog: OtherBacklog;
}

/**
 * Which bound refused a tweet: the author's own share, the small tweets' backlog, or the
 * backlog of the others.
 */
export type AdmissionRefusal = 'author' | 'small' | 'backlog';

export type AdmitResult =
  | { outcome: 'new' | 'dup'; tweet: Tweet; job: Job }
  | { outcome: 'overloaded'; bound: AdmissionRefusal; count: number }
  | { outcome: 'no-user' }
  | { outcome: 'idempotency-mismatch' };


/** What a repeated Idempotency-Key is compared by: the normalised body, hashed to stay short. */
function bodyDigest(text: string): string {
  return createHash('sha256').update(JSON.stringify({ text })).digest('base64url');
}

/**
 * Stores the tweet, puts it in the author's timeline and enqueues its fan-out job in one atomic
 * step; or answers the earlier tweet for a repeated Idempotency-Key; or refuses, writing nothing,
 * when a backlog it counts against is at its bound. One round trip either way: the script returns the
 * stored tweet and job. Every key is in the author's bucket. The only caller of admit-tweet.lua.
 */
export async function admitTweet(redis: RedisClient, a: AdmitTweetArgs): Promise<AdmitResult> {
  const keys = keysOf(redis);
  const bucket = keys.layout.bucketOf(a.authorId);
  const lanes = keys.fanoutLanes(bucket);
  const reply = (await script.run(
    redis,
    [
      keys.idempotency(a.authorId, a.idempotencyKey ?? ''),
      keys.tweetSeq(bucket),
      keys.jobSeq(bucket),
      keys.audience(a.authorId),
      keys.backlog(bucket),
      lanes.small,
      keys.userTweets(a.authorId),
      keys.timeline(a.authorId),
      keys.eventsStream(bucket),
      keys.stats(bucket),
      lanes.bulk,
      keys.user(a.authorId),
      keys.smallBacklog(bucket),
      keys.authorBacklog(a.authorId),
    ],
    [
      a.authorId,
      a.text,
      a.idempotencyKey ? IDEMPOTENCY_TTL_S : 0,
      a.bounds.fanoutMaxBacklog,
      a.timelineMax,
      keys.tweetPrefix(bucket),
      keys.jobPrefix(bucket),
      EVENTS_MAX_LEN,
      TWEET_ID_DIGITS,
      a.chunkSize,
      JOB_RETENTION_S,
      timelineTrimAt(a.timelineMax),
      keys.layout.buckets,
      bucket,
      a.otherBacklog.big,
      a.otherBacklog.small,
      a.bounds.fanoutSmallAudience,
      a.bounds.fanoutMaxSmallBacklog,
      a.bounds.fanoutMaxAuthorBacklog,
      // Always the last argument (ARGV[#ARGV]).
      bodyDigest(a.text),
    ],
  )) as [string, ...unknown[]];
  if (reply[0] === 'overloaded') return { outcome: 'overloaded', bound: reply[1] as AdmissionRefusal, count: Number(reply[2]) };
  if (reply[0] === 'no-user') return { outcome: 'no-user' };
  if (reply[0] === 'idempotency-mismatch') return { outcome: 'idempotency-mismatch' };
  const tweet = tweetView(hashFromFlat(reply[3]));
  const job = jobView(hashFromFlat(reply[4]));
  if (!tweet || !job) throw new Error(`admitted tweet ${String(reply[1])} / job ${String(reply[2])} not readable`);
  return { outcome: reply[0] as 'new' | 'dup', tweet, job };
}
