import { deadLetterField, fanoutEntryField, fanoutEntrySchema, keys, type FanoutEntry } from '@ripple/shared';
import { fanOutEntry, isRedisUnavailable, keysOf, reportDeliveredSoFar, type EntryOutcome, type Logger, type RedisClient } from '@ripple/shared/node';
import type { WorkerConfig } from './config.js';
import type { Heartbeat } from './heartbeat.js';
import type { HeldEntry } from './lanes.js';
import { giveUpChunk, laneStream, chunkRetryDelayMs, scheduleRetry } from './retries.js';
import { everyMs, type WorkerTiming } from './timing.js';

export interface RunEntryDeps {
  redis: RedisClient;
  config: WorkerConfig;
  timing: WorkerTiming;
  heartbeat: Heartbeat;
  log: Logger;
  /** True once the worker is stopping: the entry in hand is handed back after its page. */
  stopping: () => boolean;
}

const attemptOf = (message: Record<string, string>): number => {
  const attempt = Number(message[fanoutEntryField.attempt]);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
};

/**
 * Runs one entry the worker holds, from check to ack: a malformed entry goes to dead letters;
 * one out of attempts fails its chunks; any other is fanned out, then acked and deleted, or put
 * back on its lane when the worker stopped half-way. A chunk that fails is retried with backoff
 * (through the retry schedule, so other work flows meanwhile) until `maxAttempts`, then
 * dead-lettered and its job failed. While Redis is unreachable it throws, and the caller keeps
 * the entry: that is an outage, not a failure of the chunk.
 *
 * Answers the deliveries the entry counts (0 when it was not run).
 */
export async function runEntry(held: HeldEntry, deps: RunEntryDeps): Promise<number> {
  const parsed = fanoutEntrySchema.safeParse(held.message);
  if (!parsed.success) {
    await deadLetterMalformed(held, `malformed entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`, deps);
    return 0;
  }
  const entry = parsed.data;
  const attempt = attemptOf(held.message);
  if (attempt > deps.config.maxAttempts) {
    await failChunk(held, entry, attempt - 1, new Error('its worker died on every attempt'), deps);
    return 0;
  }
  let outcome: EntryOutcome;
  try {
    outcome = await fanOutHeld(held, entry, attempt, deps);
  } catch (err) {
    if (isRedisUnavailable(err)) throw err;
    await failChunk(held, entry, attempt, err, deps);
    return 0;
  }
  await finish(held, outcome, deps.redis);
  return outcome.delivered;
}

/** Fans the entry out, keeping hold of it: beating, and claiming it again now and then. */
function fanOutHeld(held: HeldEntry, entry: FanoutEntry, attempt: number, deps: RunEntryDeps): Promise<EntryOutcome> {
  const { redis, config, heartbeat } = deps;
  const ownClaim = everyMs(deps.timing.ownClaimMs, Date.now());
  return fanOutEntry(redis, config, entry, {
    attempt,
    shouldStop: deps.stopping,
    afterPage: async () => {
      await heartbeat.beat();
      // Claiming our own entry resets its idle time, so a long chunk is not taken from a live worker.
      if (ownClaim.due()) await redis.xClaimJustId(laneStream(redis, held.from), keys.fanoutGroup, config.consumerName, 0, held.id);
    },
  });
}

/**
 * Acks and deletes a run entry, so the stream holds only outstanding work. A stopped entry goes
 * back on the stream at once rather than waiting to be claimed; its chunks' cursors are stored,
 * so whoever takes it resumes where this worker stopped.
 */
async function finish(held: HeldEntry, outcome: EntryOutcome, redis: RedisClient): Promise<void> {
  const stream = laneStream(redis, held.from);
  const done = redis.multi();
  if (outcome.state === 'stopped') done.xAdd(stream, '*', held.message);
  await done.xAck(stream, keys.fanoutGroup, held.id).xDel(stream, held.id).exec();
}

/** Puts an entry back on its lane for any worker to take; its cursor says where to resume. */
export async function handBack(held: HeldEntry, redis: RedisClient): Promise<void> {
  await finish(held, { state: 'stopped', delivered: 0 }, redis);
}

async function deadLetterMalformed(held: HeldEntry, reason: string, { redis, log }: RunEntryDeps): Promise<void> {
  log.warn({ entryId: held.id, reason }, 'malformed fan-out entry moved to dead letters');
  const stream = laneStream(redis, held.from);
  await redis
    .multi()
    .xAdd(keysOf(redis).deadLetterStream(held.from.bucket), '*', { ...held.message, [deadLetterField.sourceId]: held.id, [deadLetterField.reason]: reason })
    .xAck(stream, keys.fanoutGroup, held.id)
    .xDel(stream, held.id)
    .exec();
}

/** Schedules the entry's next try, or, after its last, dead-letters it and fails its job. */
async function failChunk(held: HeldEntry, entry: FanoutEntry, attempt: number, err: unknown, deps: RunEntryDeps): Promise<void> {
  const { redis, config, log } = deps;
  const error = err instanceof Error ? err.message : String(err);
  const chunks = held.message[fanoutEntryField.chunks];
  if (attempt < config.maxAttempts) {
    const wait = chunkRetryDelayMs(attempt, config.retryBaseMs, config.retryCapMs);
    log.warn({ job: entry.job, chunks, attempt, wait, error }, 'chunk failed; retrying later');
    await scheduleRetry(redis, held.from, held.id, held.message, attempt + 1, wait, { worker: config.consumerName, error });
    return;
  }
  log.error({ job: entry.job, chunks, attempt, error }, 'chunk failed on its last attempt; dead-lettered');
  await reportDeliveredSoFar(redis, entry, attempt, config);
  await giveUpChunk(redis, {
    from: held.from,
    entryId: held.id,
    chunksField: chunks ?? '',
    entry,
    attempts: attempt,
    error: `delivery failed after ${attempt} attempts: ${error}`,
  });
}
