import { z } from 'zod';
import { fanoutEntryField } from './records/fanout-entry-record.js';
import { checkTweetText } from './tweet-text.js';

/** Handles are case-insensitive: validated and stored lower-case. */
export const handleSchema = z
  .string({ error: 'handle must be a string' })
  .trim()
  // Checked before lower-casing: Unicode case mapping turns some non-ASCII letters (the Kelvin
  // sign, for one) into ASCII ones.
  .regex(/^[A-Za-z0-9_]{3,20}$/, 'handle must be 3–20 characters of a–z, 0–9 or _')
  .toLowerCase();

export const passwordSchema = z
  .string({ error: 'password must be a string' })
  .min(8, 'password must be at least 8 characters')
  .max(128, 'password must be at most 128 characters');

export const credentialsSchema = z.object({ handle: handleSchema, password: passwordSchema });
export type Credentials = z.infer<typeof credentialsSchema>;

/** Tweet text after normalisation (tweet-text.ts); the message names what is wrong with it. */
export const tweetTextSchema = z.string({ error: 'text must be a string' }).transform((raw, ctx) => {
  const checked = checkTweetText(raw);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
  return checked.text;
});

/** How soon a scheduled tweet may be published: later than the round trip that schedules it. */
export const PUBLISH_AT_MIN_AHEAD_MS = 5_000;
/** How far ahead a tweet may be scheduled. */
export const PUBLISH_AT_MAX_AHEAD_MS = 30 * 24 * 3600_000;

/**
 * When a scheduled tweet is to be published: an ISO-8601 date-time with a zone, as ms since the
 * epoch. Only its form is checked here; whether it lies 5 s to 30 days ahead depends on the clock
 * (`publishAtProblem`): the server asks Redis's, after the Idempotency-Key check, so that a retry
 * of a scheduling request still answers its tweet once its publishAt is near or past.
 */
export const publishAtSchema = z.iso
  .datetime({ offset: true, error: 'publishAt must be an ISO-8601 date-time with a time zone' })
  .transform((iso) => Date.parse(iso));

/** What is wrong with a publishAt out of range, as the 400 says it. */
export const publishAtProblems = {
  'too-soon': 'publishAt must be at least 5 seconds ahead',
  'too-far': 'publishAt must be at most 30 days ahead',
} as const;
export type PublishAtProblem = keyof typeof publishAtProblems;

/** Why `publishAtMs` cannot be scheduled at `nowMs`, or null when it can (admit-tweet.lua checks the same on Redis's clock). */
export function publishAtProblem(publishAtMs: number, nowMs: number): PublishAtProblem | null {
  if (publishAtMs < nowMs + PUBLISH_AT_MIN_AHEAD_MS) return 'too-soon';
  if (publishAtMs > nowMs + PUBLISH_AT_MAX_AHEAD_MS) return 'too-far';
  return null;
}

export const postTweetBodySchema = z.object({ text: tweetTextSchema, publishAt: publishAtSchema.optional() });
export const followBodySchema = z.object({ handle: handleSchema });

/** Printable ASCII only, so a key is safe in logs and Redis key names. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'Idempotency-Key must be 1–64 printable ASCII characters');

export const SYNTHETIC_FOLLOWERS_MAX = 1_000_000;
export const syntheticFollowersBodySchema = z.object({
  count: z
    .number({ error: 'count must be a number' })
    .int('count must be a whole number')
    .min(1, 'count must be at least 1')
    .max(SYNTHETIC_FOLLOWERS_MAX, `count must be at most ${SYNTHETIC_FOLLOWERS_MAX}`),
});

/**
 * Tweet ids are zero-padded numbers, so they sort in creation order as strings. A number is
 * `t · buckets + bucket`, `t` following the clock (admit-tweet.lua): it says where the tweet
 * is stored, and 16 digits hold it for centuries.
 */
export const TWEET_ID_DIGITS = 16;
export const tweetIdSchema = z.string().regex(/^[0-9]{1,16}$/, 'must be a tweet id');
/** Job ids are `n · buckets + bucket`, `n` a sequence number of the bucket. */
export const jobIdSchema = z.string().regex(/^[0-9]{1,16}$/, 'must be a job id');
export const tweetIdFromSeq = (seq: number | string): string => String(seq).padStart(TWEET_ID_DIGITS, '0');
export const seqFromTweetId = (id: string): number => Number(id);

/** As next-id.lua: ids count from 2026-01-01 in 16 ticks per ms. */
const ID_EPOCH_MS = 1_767_225_600_000;
const ID_TICKS_PER_MS = 16;
/**
 * The lowest tweet sequence number that a tweet created at or after `ms` can have, with `buckets`
 * buckets: next-id.lua keeps `t` at or above the ticks of its master's clock.
 */
export const firstTweetSeqAt = (ms: number, buckets: number): number => Math.max(0, Math.floor(ms) - ID_EPOCH_MS) * ID_TICKS_PER_MS * buckets;

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be between 1 and 100')
    .max(100, 'limit must be between 1 and 100')
    .default(50),
  before: tweetIdSchema.optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export const userSchema = z.object({
  id: z.string(),
  handle: z.string(),
  followers: z.number(),
  following: z.number(),
});
export type User = z.infer<typeof userSchema>;

export const tweetSchema = z.object({
  id: z.string(),
  text: z.string(),
  createdAt: z.string(),
  author: z.object({ id: z.string(), handle: z.string() }),
  /** Only on a tweet still waiting to be published (then `createdAt` is the same moment). */
  publishAt: z.string().optional(),
});
export type Tweet = z.infer<typeof tweetSchema>;

export const jobStatusSchema = z.enum(['scheduled', 'queued', 'running', 'done', 'failed']);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const jobKindSchema = z.enum(['post', 'delete']);
export type JobKind = z.infer<typeof jobKindSchema>;
export const jobDeliverySchema = z.enum(['fan-out', 'inline', 'on-read']);
export type JobDelivery = z.infer<typeof jobDeliverySchema>;

export const jobSchema = z.object({
  id: z.string(),
  tweetId: z.string(),
  kind: jobKindSchema,
  delivery: jobDeliverySchema,
  status: jobStatusSchema,
  delivered: z.number(),
  total: z.number(),
  skipped: z.number(),
  attempts: z.number(),
  enqueuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  /**
   * Beyond the contract (an added field): FANOUT_ON_READ_THRESHOLD when the post was admitted,
   * if it was on. With `delivery` and `total` (the followers at posting) it says why the tweet
   * travelled as it did.
   */
  onReadThreshold: z.number().optional(),
});
export type Job = z.infer<typeof jobSchema>;

/**
 * One step of a job's life (GET /api/jobs/:id/journey), oldest first: accepted, (published, for
 * a scheduled tweet,) queued, each entry started and by which worker, any takeover or retry,
 * then done or failed. Workers are named as the dashboard numbers them (`worker 2`), never by host.
 */
export const journeyStepSchema = z.object({
  kind: z.enum(['accepted', 'published', 'queued', 'started', 'takeover', 'retry', 'done', 'failed']),
  at: z.string(),
  /** The worker that started, took over, or saw the attempt fail; null for the job's own steps. */
  worker: z.string().nullable(),
  /** A takeover: the worker the entry was taken from. */
  from: z.string().nullable(),
  /** A takeover: "requeued" (its worker was dead: the attempt counts) or "alive" (stalled: run alongside). */
  outcome: z.enum(['requeued', 'alive']).nullable(),
  /** The entry's attempt: the one started or taken over, or the one a retry schedules. */
  attempt: z.number().nullable(),
  /** The chunks of the entry (`bucket:start`), empty for the job's own steps. */
  chunks: z.array(z.string()),
  /** Why an attempt failed (a retry) or the job failed. */
  error: z.string().nullable(),
  /** A retry: when the next attempt is due. */
  dueAt: z.string().nullable(),
});
export type JourneyStep = z.infer<typeof journeyStepSchema>;
export const jobJourneySchema = z.object({
  job: jobSchema,
  steps: z.array(journeyStepSchema),
  /** Steps past the journey's bound were not kept (a job of hundreds of chunks). */
  truncated: z.boolean(),
});
export type JobJourney = z.infer<typeof jobJourneySchema>;

export const authResponseSchema = z.object({ user: userSchema, token: z.string() });
export type AuthResponse = z.infer<typeof authResponseSchema>;
export const postTweetResponseSchema = z.object({ tweet: tweetSchema, job: jobSchema });
export type PostTweetResponse = z.infer<typeof postTweetResponseSchema>;
export const tweetPageSchema = z.object({ tweets: z.array(tweetSchema), nextBefore: z.string().nullable() });
export const scheduledTweetsSchema = z.object({ tweets: z.array(tweetSchema) });
export type ScheduledTweets = z.infer<typeof scheduledTweetsSchema>;
export const cancelledSchema = z.object({ cancelled: z.literal(true) });
export type TweetPage = z.infer<typeof tweetPageSchema>;

/**
 * A chunk of a job: the followers of the job's author that live in bucket `bucket` and whose
 * follow sequence lies in (`lo`, `hi`]. One page script at a time walks it, in that bucket.
 */
export interface Chunk {
  bucket: number;
  lo: string;
  hi: string;
}
/** How a job's records name a chunk: unique within the job. */
export const chunkId = (chunk: Chunk): string => `${chunk.bucket}:${chunk.lo}`;
/** A stream entry's `chunks` field: `bucket:lo:hi`, space-separated (admit-tweet.lua writes it). */
export const formatChunks = (chunks: readonly Chunk[]): string => chunks.map((c) => `${c.bucket}:${c.lo}:${c.hi}`).join(' ');
const CHUNKS = /^[0-9]+:[0-9]+:[0-9]+( [0-9]+:[0-9]+:[0-9]+)*$/;

/**
 * One entry of the fan-out stream: deliver tweet `tweet` of job `job` to the followers of
 * `author` in each of `chunks`. A small tweet's entry holds one chunk per follower bucket; a
 * bigger one's entries hold one chunk each. `attempt` counts tries of this entry so far, when
 * it has been retried. Workers validate entries with this before any work.
 */
export const fanoutEntrySchema = z.object({
  [fanoutEntryField.job]: z.string().regex(/^[0-9]+$/),
  [fanoutEntryField.tweet]: z.string().regex(/^[0-9]+$/),
  [fanoutEntryField.author]: z.string().regex(/^[0-9]+$/),
  [fanoutEntryField.chunks]: z
    .string()
    .regex(CHUNKS, 'chunks must be bucket:lo:hi, space-separated')
    .transform((list): Chunk[] =>
      list.split(' ').map((chunk) => {
        const [bucket, lo, hi] = chunk.split(':') as [string, string, string];
        return { bucket: Number(bucket), lo, hi };
      }),
    ),
  [fanoutEntryField.attempt]: z
    .string()
    .regex(/^[1-9][0-9]*$/)
    .optional(),
});
export type FanoutEntry = z.infer<typeof fanoutEntrySchema>;
