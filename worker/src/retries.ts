import { EVENTS_MAX_LEN, JOB_RETENTION_S, jobField, keys, tweetIdFromSeq, type FanoutEntry } from '@ripple/shared';
import { hashFromFlat, loadLuaScript, type RedisClient } from '@ripple/shared/node';

const promoteScript = loadLuaScript(new URL('./lua/promote-retries.lua', import.meta.url));
const claimScript = loadLuaScript(new URL('./lua/claim-stalled.lua', import.meta.url));
const giveUpScript = loadLuaScript(new URL('./lua/give-up-chunk.lua', import.meta.url));

/** Dead letters are for a person to read; the stream keeps roughly this many. */
const DEAD_LETTERS_MAX_LEN = 10_000;

/**
 * Delay before try `attempt + 1` after try `attempt` failed: exponential, capped, with "equal
 * jitter" (half fixed, half random) so retries of many chunks that failed together spread out
 * instead of hammering Redis in step, yet never come back instantly.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export type Lane = keyof typeof keys.fanoutLanes;

/** Acks the failed entry and schedules its next try, in its own lane, in one MULTI. */
export async function scheduleRetry(redis: RedisClient, lane: Lane, entryId: string, entry: FanoutEntry, nextAttempt: number, delayMs: number): Promise<void> {
  const member = JSON.stringify({ ...entry, lane, attempt: String(nextAttempt), id: entryId });
  const stream = keys.fanoutLanes[lane];
  await redis
    .multi()
    .zAdd(keys.retrySchedule, { score: Date.now() + delayMs, value: member })
    .xAck(stream, keys.fanoutGroup, entryId)
    .xDel(stream, entryId)
    .exec();
}

/** Moves retries that are due back onto their lanes; returns how many. */
export async function promoteDueRetries(redis: RedisClient, now = Date.now()): Promise<number> {
  return Number(await promoteScript.run(redis, [keys.retrySchedule, keys.fanoutLanes.small, keys.fanoutLanes.bulk], [now, 100]));
}

export type ClaimResult =
  | { outcome: 'none' }
  | { outcome: 'alive'; id: string; message: Record<string, string> }
  | { outcome: 'requeued'; id: string; attempt: number };

/** Takes over one entry pending longer than `minIdleMs` in `lane`; the only caller of claim-stalled.lua. */
export async function claimStalledEntry(redis: RedisClient, lane: Lane, consumer: string, minIdleMs: number, aliveWindowMs: number): Promise<ClaimResult> {
  const reply = (await claimScript.run(
    redis,
    [keys.fanoutLanes[lane], keys.workers, keys.stats],
    [keys.fanoutGroup, consumer, minIdleMs, Date.now(), aliveWindowMs],
  )) as [string, string?, unknown?];
  if (reply[0] === 'alive') {
    return { outcome: 'alive', id: String(reply[1]), message: hashFromFlat(reply[2]) };
  }
  if (reply[0] === 'requeued') return { outcome: 'requeued', id: String(reply[1]), attempt: Number(reply[2]) };
  return { outcome: 'none' };
}

export interface GiveUpArgs {
  lane: Lane;
  entryId: string;
  entry: FanoutEntry;
  attempts: number;
  error: string;
}

/** Dead-letters a chunk that ran out of attempts and fails its job; true when this call failed the job. */
export async function giveUpChunk(redis: RedisClient, a: GiveUpArgs): Promise<boolean> {
  const failedNow = await giveUpScript.run(
    redis,
    [keys.job(a.entry.job), keys.fanoutLanes[a.lane], keys.deadLetterStream, keys.eventsStream, keys.backlog, keys.stats],
    [
      keys.fanoutGroup,
      a.entryId,
      jobField.cursor(a.entry.lo),
      a.entry.job,
      a.entry.lo,
      a.entry.hi,
      a.attempts,
      a.error,
      tweetIdFromSeq(a.entry.tweet ?? (await redis.hGet(keys.job(a.entry.job), jobField.tweetSeq)) ?? '0'),
      a.entry.author ?? (await redis.hGet(keys.job(a.entry.job), jobField.authorId)) ?? '',
      EVENTS_MAX_LEN,
      DEAD_LETTERS_MAX_LEN,
      JOB_RETENTION_S,
    ],
  );
  return Number(failedNow) === 1;
}
