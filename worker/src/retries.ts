import { chunkId, EVENTS_MAX_LEN, JOB_RETENTION_S, keys, tweetIdFromSeq, type FanoutEntry } from '@ripple/shared';
import { hashFromFlat, keysOf, loadLuaScript, type RedisClient } from '@ripple/shared/node';

const promoteScript = loadLuaScript(new URL('./lua/promote-retries.lua', import.meta.url));
const claimScript = loadLuaScript(new URL('./lua/claim-stalled.lua', import.meta.url));
const giveUpScript = loadLuaScript(new URL('./lua/give-up-chunk.lua', import.meta.url));

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

/** Acks the failed entry and schedules its next try, in its own lane, in one MULTI (one bucket). */
export async function scheduleRetry(
  redis: RedisClient,
  from: LaneRef,
  entryId: string,
  message: Record<string, string>,
  nextAttempt: number,
  delayMs: number,
): Promise<void> {
  const member = JSON.stringify({ ...message, lane: from.lane, attempt: String(nextAttempt), id: entryId });
  const stream = laneStream(redis, from);
  await redis
    .multi()
    .zAdd(keysOf(redis).retrySchedule(from.bucket), { score: Date.now() + delayMs, value: member })
    .xAck(stream, keys.fanoutGroup, entryId)
    .xDel(stream, entryId)
    .exec();
}

/** Moves the retries of one bucket that are due back onto its lanes; returns how many. */
export async function promoteDueRetries(redis: RedisClient, bucket: number, now = Date.now()): Promise<number> {
  const k = keysOf(redis);
  const lanes = k.fanoutLanes(bucket);
  return Number(await promoteScript.run(redis, [k.retrySchedule(bucket), lanes.small, lanes.bulk], [now, 100]));
}

export type ClaimResult =
  | { outcome: 'none' }
  | { outcome: 'alive'; id: string; message: Record<string, string> }
  | { outcome: 'requeued'; id: string; attempt: number };

/**
 * Takes over one entry of a lane pending longer than `minIdleMs`; `alive` names the consumers
 * whose heartbeat is recent. The only caller of claim-stalled.lua.
 */
export async function claimStalledEntry(redis: RedisClient, from: LaneRef, consumer: string, minIdleMs: number, alive: readonly string[]): Promise<ClaimResult> {
  const reply = (await claimScript.run(
    redis,
    [laneStream(redis, from), keysOf(redis).stats(from.bucket)],
    [keys.fanoutGroup, consumer, minIdleMs, ...alive],
  )) as [string, string?, unknown?];
  if (reply[0] === 'alive') {
    return { outcome: 'alive', id: String(reply[1]), message: hashFromFlat(reply[2]) };
  }
  if (reply[0] === 'requeued') return { outcome: 'requeued', id: String(reply[1]), attempt: Number(reply[2]) };
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
  const failedNow = await giveUpScript.run(
    redis,
    [
      k.job(a.entry.job),
      laneStream(redis, a.from),
      k.deadLetterStream(b),
      k.eventsStream(b),
      k.backlog(b),
      k.stats(b),
      k.smallBacklog(b),
      k.authorBacklog(a.entry.author),
    ],
    [
      keys.fanoutGroup,
      a.entryId,
      a.entry.job,
      a.chunksField,
      a.attempts,
      a.error,
      tweetIdFromSeq(a.entry.tweet),
      a.entry.author,
      EVENTS_MAX_LEN,
      DEAD_LETTERS_MAX_LEN,
      JOB_RETENTION_S,
      ...a.entry.chunks.map(chunkId),
    ],
  );
  return Number(failedNow) === 1;
}
