import {
  chunkId,
  EVENTS_MAX_LEN,
  fanoutEntryField,
  JOB_RETENTION_S,
  JOURNEY_MAX_STEPS,
  journeyStepField,
  keys,
  retryField,
  tweetIdFromSeq,
  type FanoutEntry,
} from '@ripple/shared';
import { defineLuaScript, keysOf, luaHash, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';

export const promoteRetriesScript = defineLuaScript({
  url: new URL('./lua/promote-retries.lua', import.meta.url),
  keys: ['schedule', 'smallLane', 'bulkLane'],
  args: ['now', 'limit'],
  /** How many entries were moved. */
  reply: z.number(),
});
export const claimStalledScript = defineLuaScript({
  url: new URL('./lua/claim-stalled.lua', import.meta.url),
  keys: ['lane', 'stats'],
  args: ['group', 'consumer', 'minIdleMs', 'jobPrefix', 'journeyPrefix', 'journeyMaxSteps'],
  rest: 'alive',
  reply: z.union([z.tuple([z.literal('none')]), z.tuple([z.literal('alive'), z.string(), luaHash]), z.tuple([z.literal('requeued'), z.string(), z.number()])]),
});
export const giveUpChunkScript = defineLuaScript({
  url: new URL('./lua/give-up-chunk.lua', import.meta.url),
  keys: ['job', 'lane', 'deadLetters', 'events', 'backlog', 'stats', 'smallBacklog', 'authorBacklog', 'journey'],
  args: ['group', 'entryId', 'jobId', 'chunks', 'attempts', 'error', 'tweetId', 'authorId', 'eventsMaxLen', 'deadLettersMaxLen', 'jobRetentionS'],
  rest: 'chunkIds',
  /** 1 when this call failed the job. */
  reply: z.union([z.literal(0), z.literal(1)]),
});

/** Dead letters are for a person to read; each bucket's stream keeps roughly this many. */
const DEAD_LETTERS_MAX_LEN = 10_000;

/**
 * Delay before try `attempt + 1` after try `attempt` failed: exponential, capped, with "equal
 * jitter" (half fixed, half random) so retries of many chunks that failed together spread out
 * instead of hammering Redis in step, yet never come back instantly.
 */
export function chunkRetryDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export type Lane = 'small' | 'bulk';

/** One lane of one bucket: where an entry was read, and where its retries and claims go. */
export interface LaneRef {
  bucket: number;
  lane: Lane;
}

/** The stream of a lane. */
export const laneStream = (redis: RedisClient, { bucket, lane }: LaneRef): string => keysOf(redis).fanoutLanes(bucket)[lane];

/** Why an entry's run failed and who ran it, for its job's journey. */
export interface FailedRun {
  worker: string;
  error: string;
}

/**
 * Acks the failed entry and schedules its next try, in its own lane, in one MULTI (one bucket:
 * the lane's, which is its job's), which also adds the retry to the job's journey.
 */
export async function scheduleRetry(
  redis: RedisClient,
  from: LaneRef,
  entryId: string,
  message: Record<string, string>,
  nextAttempt: number,
  delayMs: number,
  failed: FailedRun,
): Promise<void> {
  const member = JSON.stringify({ ...message, [retryField.lane]: from.lane, [fanoutEntryField.attempt]: String(nextAttempt), [retryField.id]: entryId });
  const stream = laneStream(redis, from);
  const now = Date.now();
  const retry = redis
    .multi()
    .zAdd(keysOf(redis).retrySchedule(from.bucket), { score: now + delayMs, value: member })
    .xAck(stream, keys.fanoutGroup, entryId)
    .xDel(stream, entryId);
  const jobId = message[fanoutEntryField.job];
  if (jobId) {
    const journey = keysOf(redis).journey(jobId);
    const step = {
      [journeyStepField.kind]: 'retry',
      [journeyStepField.at]: now,
      [journeyStepField.worker]: failed.worker,
      [journeyStepField.attempt]: nextAttempt,
      [journeyStepField.chunks]: message[fanoutEntryField.chunks] ?? '',
      [journeyStepField.error]: failed.error,
      [journeyStepField.dueAt]: now + delayMs,
    };
    // A MULTI cannot copy the job's TTL as journey-step.lua does. A list this push creates (the
    // job's other steps all expired, or there were none: a stale copy of an inline entry) gets a
    // job's retention instead, so no journey outlives its job by more than that; the job's end
    // sets the list's TTL again (report-chunks.lua), and a TTL already set is left alone.
    retry
      .rPush(journey, JSON.stringify(step))
      .lTrim(journey, 0, JOURNEY_MAX_STEPS - 1)
      .expire(journey, JOB_RETENTION_S, 'NX');
  }
  await retry.exec();
}

/** Moves the retries of one bucket that are due back onto its lanes; returns how many. */
export async function promoteDueRetries(redis: RedisClient, bucket: number, now = Date.now()): Promise<number> {
  const k = keysOf(redis);
  const lanes = k.fanoutLanes(bucket);
  return await promoteRetriesScript.run(redis, { schedule: k.retrySchedule(bucket), smallLane: lanes.small, bulkLane: lanes.bulk }, { now, limit: 100 });
}

export type ClaimResult =
  { outcome: 'none' } | { outcome: 'alive'; id: string; message: Record<string, string> } | { outcome: 'requeued'; id: string; attempt: number };

/**
 * Takes over one entry of a lane pending longer than `minIdleMs`; `alive` names the consumers
 * whose heartbeat is recent. The only caller of claim-stalled.lua.
 */
export async function claimStalledEntry(
  redis: RedisClient,
  from: LaneRef,
  consumer: string,
  minIdleMs: number,
  alive: readonly string[],
): Promise<ClaimResult> {
  const k = keysOf(redis);
  const reply = await claimStalledScript.run(
    redis,
    { lane: laneStream(redis, from), stats: k.stats(from.bucket) },
    {
      group: keys.fanoutGroup,
      consumer,
      minIdleMs,
      jobPrefix: k.jobPrefix(from.bucket),
      journeyPrefix: k.journeyPrefix(from.bucket),
      journeyMaxSteps: JOURNEY_MAX_STEPS,
      alive,
    },
  );
  if (reply[0] === 'alive') return { outcome: 'alive', id: reply[1], message: reply[2] };
  if (reply[0] === 'requeued') return { outcome: 'requeued', id: reply[1], attempt: reply[2] };
  return { outcome: 'none' };
}

export interface GiveUpArgs {
  from: LaneRef;
  entryId: string;
  /** The entry's `chunks` field as stored. */
  chunksField: string;
  entry: FanoutEntry;
  attempts: number;
  error: string;
}

/**
 * Dead-letters an entry that ran out of attempts and fails its job; true when this call failed
 * the job. The entry's lane and its job are both in the author's bucket.
 */
export async function giveUpChunk(redis: RedisClient, a: GiveUpArgs): Promise<boolean> {
  const k = keysOf(redis);
  const b = a.from.bucket;
  const failedNow = await giveUpChunkScript.run(
    redis,
    {
      job: k.job(a.entry.job),
      lane: laneStream(redis, a.from),
      deadLetters: k.deadLetterStream(b),
      events: k.eventsStream(b),
      backlog: k.backlog(b),
      stats: k.stats(b),
      smallBacklog: k.smallBacklog(b),
      authorBacklog: k.authorBacklog(a.entry.author),
      journey: k.journey(a.entry.job),
    },
    {
      group: keys.fanoutGroup,
      entryId: a.entryId,
      jobId: a.entry.job,
      chunks: a.chunksField,
      attempts: a.attempts,
      error: a.error,
      tweetId: tweetIdFromSeq(a.entry.tweet),
      authorId: a.entry.author,
      eventsMaxLen: EVENTS_MAX_LEN,
      deadLettersMaxLen: DEAD_LETTERS_MAX_LEN,
      jobRetentionS: JOB_RETENTION_S,
      chunkIds: a.entry.chunks.map(chunkId),
    },
  );
  return failedNow === 1;
}
