import {
  EVENTS_MAX_LEN,
  fanoutEntrySchema,
  IDEMPOTENCY_TTL_S,
  jobField,
  JOB_RETENTION_S,
  jobView,
  PUBLISH_AT_MAX_AHEAD_MS,
  PUBLISH_AT_MIN_AHEAD_MS,
  timelineTrimAt,
  tweetView,
  TWEET_ID_DIGITS,
  type FanoutEntry,
  type Job,
  type PublishAtProblem,
  type Tweet,
} from '@ripple/shared';
import { defineLuaScript, keysOf, luaHash, type LuaArgsOf, type LuaKeysOf, type RedisClient } from '@ripple/shared/node';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OtherBacklog } from '../backlog-sampler.js';
import type { AdmissionBounds } from '../config.js';
import { INLINE_BUSY_BACKLOG, INLINE_TAKEOVER_MS } from '../inline-delivery.js';
import type { FixedWindow } from '../rate-limit.js';

/** Which bound refused a tweet: the author's own share, the small tweets' backlog, or the backlog of the others. */
const admissionRefusalSchema = z.enum(['author', 'small', 'backlog']);
export type AdmissionRefusal = z.infer<typeof admissionRefusalSchema>;

/** admit-tweet.lua, its KEYS and ARGV named as its header lists them. */
export const admitTweetScript = defineLuaScript({
  url: new URL('../lua/admit-tweet.lua', import.meta.url),
  keys: [
    'idempotency',
    'tweetSeq',
    'jobSeq',
    'audience',
    'backlog',
    'smallLane',
    'userTweets',
    'timeline',
    'events',
    'stats',
    'bulkLane',
    'user',
    'smallBacklog',
    'authorBacklog',
    'postingBudget',
    'publishSchedule',
    'scheduledBy',
    'retrySchedule',
    'onReadAuthors',
  ],
  args: [
    'authorId',
    'text',
    'idempotencyTtlS',
    'maxBacklog',
    'timelineMax',
    'tweetPrefix',
    'jobPrefix',
    'eventsMaxLen',
    'tweetIdDigits',
    'chunkSize',
    'jobRetentionS',
    'timelineTrimAt',
    'buckets',
    'bucket',
    'otherBacklog',
    'otherSmallBacklog',
    'smallAudience',
    'maxSmallBacklog',
    'maxAuthorBacklog',
    'postsPerWindow',
    'postingBudgetTtlMs',
    'publishAt',
    'publishMinAheadMs',
    'publishMaxAheadMs',
    'inlineMax',
    'inlineTakeoverMs',
    'inlineBusyBacklog',
    'onReadThreshold',
    'bodyDigest',
  ],
  reply: z.union([
    z.tuple([z.enum(['new', 'dup']), z.string(), z.string(), luaHash, luaHash]),
    z.tuple([z.literal('overloaded'), admissionRefusalSchema, z.number()]),
    z.tuple([z.enum(['rate-limited', 'no-user', 'idempotency-mismatch'])]),
    z.tuple([z.literal('publish-at'), z.enum(['too-soon', 'too-far'])]),
  ]),
});

export interface AdmitTweetArgs {
  authorId: string;
  /** Normalised (tweet-text.ts): a repeated Idempotency-Key must come with the same one. */
  text: string;
  /** When to publish the tweet (ms); absent: now. */
  publishAt?: number | undefined;
  idempotencyKey: string | undefined;
  bounds: AdmissionBounds;
  timelineMax: number;
  chunkSize: number;
  /** The backlogs counted in the other buckets, as last sampled (0 on a single Redis). */
  otherBacklog: OtherBacklog;
  /** The author's posting budget: `limit` posts in the rate-limit window `window`. */
  postingLimit: { limit: number; window: FixedWindow };
  /** FANOUT_INLINE_MAX: audiences up to this size are delivered inside the request; 0: never. */
  inlineMax: number;
}

export type AdmitResult =
  /** inline: the entry this request is to deliver itself (a new inline job's), else null. */
  | { outcome: 'new' | 'dup'; tweet: Tweet; job: Job; inline: FanoutEntry | null }
  | { outcome: 'overloaded'; bound: AdmissionRefusal; count: number }
  | { outcome: 'rate-limited' }
  | { outcome: 'publish-at'; problem: PublishAtProblem }
  | { outcome: 'no-user' }
  | { outcome: 'idempotency-mismatch' }
  /** The key's tweet was made, then deleted (or, scheduled, cancelled): there is nothing to answer again. */
  | { outcome: 'deleted' };

/** Names the posting budget's counter among the per-user rate limits (keys.rateLimit). */
const POSTING_LIMIT_NAME = 'tweets';

/**
 * What a repeated Idempotency-Key is compared by: the normalised body, hashed to stay short. A
 * body without publishAt digests as it always did, so keys from before scheduling still match.
 */
function bodyDigest(text: string, publishAt: number | undefined): string {
  return createHash('sha256').update(JSON.stringify({ text, publishAt })).digest('base64url');
}

/**
 * Spends one post of the author's budget; then stores the tweet, puts it in the author's timeline
 * and enqueues its fan-out job in one atomic step; or answers the earlier tweet for a repeated
 * Idempotency-Key; or refuses, writing nothing else, when the budget is spent or a backlog it
 * counts against is at its bound. One round trip either way: the script returns the stored tweet
 * and job. Every key is in the author's bucket. The only caller of admit-tweet.lua.
 */
export async function admitTweet(redis: RedisClient, a: AdmitTweetArgs): Promise<AdmitResult> {
  const reply = await admitTweetScript.run(redis, scriptKeys(redis, a), scriptArgs(redis, a));
  if (reply[0] === 'overloaded') return { outcome: reply[0], bound: reply[1], count: reply[2] };
  if (reply[0] === 'publish-at') return { outcome: reply[0], problem: reply[1] };
  if (reply.length === 1) return { outcome: reply[0] };
  const [outcome, tweetId, jobId, storedTweet, storedJob] = reply;
  const tweet = tweetView(storedTweet);
  const job = jobView(storedJob);
  // A deleted tweet is tombstoned, a cancelled scheduled one gone altogether: tweetView reads
  // neither, and neither is answered again.
  if (outcome === 'dup' && !tweet) return { outcome: 'deleted' };
  if (!tweet || !job) throw new Error(`admitted tweet ${tweetId} / job ${jobId} not readable`);
  // A repeat's inline delivery is its first request's, or, that one gone, the workers'.
  const inlineEntry = outcome === 'new' ? storedJob[jobField.inlineEntry] : undefined;
  return { outcome, tweet, job, inline: inlineEntry ? fanoutEntrySchema.parse(JSON.parse(inlineEntry)) : null };
}

/** Every key is in the author's bucket. */
function scriptKeys(redis: RedisClient, { authorId, idempotencyKey, postingLimit }: AdmitTweetArgs): LuaKeysOf<typeof admitTweetScript> {
  const keys = keysOf(redis);
  const bucket = keys.layout.bucketOf(authorId);
  const lanes = keys.fanoutLanes(bucket);
  return {
    idempotency: keys.idempotency(authorId, idempotencyKey ?? ''),
    tweetSeq: keys.tweetSeq(bucket),
    jobSeq: keys.jobSeq(bucket),
    audience: keys.audience(authorId),
    backlog: keys.backlog(bucket),
    smallLane: lanes.small,
    userTweets: keys.userTweets(authorId),
    timeline: keys.timeline(authorId),
    events: keys.eventsStream(bucket),
    stats: keys.stats(bucket),
    bulkLane: lanes.bulk,
    user: keys.user(authorId),
    smallBacklog: keys.smallBacklog(bucket),
    authorBacklog: keys.authorBacklog(authorId),
    postingBudget: keys.rateLimit(POSTING_LIMIT_NAME, authorId, postingLimit.window.index),
    publishSchedule: keys.publishSchedule(bucket),
    scheduledBy: keys.scheduledBy(authorId),
    retrySchedule: keys.retrySchedule(bucket),
    onReadAuthors: keys.onReadAuthors(bucket),
  };
}

function scriptArgs(redis: RedisClient, a: AdmitTweetArgs): LuaArgsOf<typeof admitTweetScript> {
  const keys = keysOf(redis);
  const bucket = keys.layout.bucketOf(a.authorId);
  return {
    authorId: a.authorId,
    text: a.text,
    idempotencyTtlS: a.idempotencyKey ? IDEMPOTENCY_TTL_S : 0,
    maxBacklog: a.bounds.fanoutMaxBacklog,
    timelineMax: a.timelineMax,
    tweetPrefix: keys.tweetPrefix(bucket),
    jobPrefix: keys.jobPrefix(bucket),
    eventsMaxLen: EVENTS_MAX_LEN,
    tweetIdDigits: TWEET_ID_DIGITS,
    chunkSize: a.chunkSize,
    jobRetentionS: JOB_RETENTION_S,
    timelineTrimAt: timelineTrimAt(a.timelineMax),
    buckets: keys.layout.buckets,
    bucket,
    otherBacklog: a.otherBacklog.big,
    otherSmallBacklog: a.otherBacklog.small,
    smallAudience: a.bounds.fanoutSmallAudience,
    maxSmallBacklog: a.bounds.fanoutMaxSmallBacklog,
    maxAuthorBacklog: a.bounds.fanoutMaxAuthorBacklog,
    postsPerWindow: a.postingLimit.limit,
    postingBudgetTtlMs: a.postingLimit.window.ttlMs,
    publishAt: a.publishAt ?? 0,
    publishMinAheadMs: PUBLISH_AT_MIN_AHEAD_MS,
    publishMaxAheadMs: PUBLISH_AT_MAX_AHEAD_MS,
    inlineMax: a.inlineMax,
    inlineTakeoverMs: INLINE_TAKEOVER_MS,
    inlineBusyBacklog: INLINE_BUSY_BACKLOG,
    onReadThreshold: a.bounds.fanoutOnReadThreshold,
    bodyDigest: bodyDigest(a.text, a.publishAt),
  };
}
