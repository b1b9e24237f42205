import type { LuaRecord } from './lua-record.js';

/** Each chunk of a job keeps its own fields, named by its chunk id (see `chunkId`). */
const REPORTED_PREFIX = 'reported:';
const SKIPPED_PREFIX = 'skipped:';
const FINISHED_PREFIX = 'finished:';
const ATTEMPT_PREFIX = 'attempt:';

/**
 * The fixed fields of a fan-out job hash (`keys.job(id)`), in its author's bucket. Written by
 * admit-tweet.lua, moved on by report-chunks.lua and give-up-chunk.lua, read by views and the
 * worker. The pages themselves run in their followers' buckets and report here afterwards.
 */
const fixed = {
  id: 'id',
  /** "post" (fan the tweet out) or "delete" (take it back out); absent on older records: "post". */
  kind: 'kind',
  /** "fan-out", "inline" or "on-read": how the tweet travels; absent on older records: "fan-out". */
  delivery: 'delivery',
  /**
   * An inline job's fan-out entry (JSON) while it waits on the retry schedule for a worker to take
   * it over should its server not finish it (admit-tweet.lua); report-chunks.lua takes it off the
   * schedule, and this field away, with the job's end.
   */
  inlineEntry: 'inlineEntry',
  /** Followers at posting left out on purpose (inactive ones); absent: 0. */
  skipped: 'skipped',
  tweetSeq: 'tweetSeq',
  authorId: 'authorId',
  /** (scheduled →) queued → running → done, or failed once any chunk is given up on. */
  status: 'status',
  delivered: 'delivered',
  total: 'total',
  enqueuedAt: 'enqueuedAt',
  startedAt: 'startedAt',
  finishedAt: 'finishedAt',
  error: 'error',
  /** Chunks not yet finished; the one that brings it to 0 ends the job. */
  chunksLeft: 'chunksLeft',
  lastProgressAt: 'lastProgressAt',
  lastProgressDelivered: 'lastProgressDelivered',
  /**
   * "1" when the tweet was small at admission (FANOUT_SMALL_AUDIENCE): its outstanding
   * deliveries are counted in `keys.smallBacklog`, else in `keys.backlog`.
   */
  small: 'small',
  /**
   * A scheduled job's FANOUT_CHUNK_SIZE and FANOUT_SMALL_AUDIENCE, as the server that admitted it
   * had them: server settings, which the worker publishing it applies (publish-scheduled.lua).
   */
  chunkSize: 'chunkSize',
  smallAudience: 'smallAudience',
  /**
   * FANOUT_ON_READ_THRESHOLD as the server that admitted the post had it, when on (absent: off):
   * a scheduled tweet is published by that rule, and the author is shown why the tweet travelled as it did.
   */
  onReadThreshold: 'onReadThreshold',
} as const;

/** Field names of the job hash: the only place they are spelled, for TypeScript and (generated) Lua. */
export const jobField = {
  ...fixed,
  /** The most deliveries reported for the chunk: reports only ever raise it. */
  reported: (chunk: string) => `${REPORTED_PREFIX}${chunk}`,
  /** The most inactive followers reported left out of the chunk: reports only ever raise it. */
  skippedIn: (chunk: string) => `${SKIPPED_PREFIX}${chunk}`,
  /** Set once the chunk has been reported complete (or given up on). */
  finished: (chunk: string) => `${FINISHED_PREFIX}${chunk}`,
  /** The highest attempt number seen for the chunk. */
  attempt: (chunk: string) => `${ATTEMPT_PREFIX}${chunk}`,
} as const;

/** The job record for Lua: `JOB.<name>`, `jobReportedField(chunk)`, `jobFinishedField(chunk)`, `jobAttemptField(chunk)`, `jobSkippedField(chunk)`. */
export const jobRecordLua: LuaRecord = {
  include: 'job-record',
  table: 'JOB',
  fields: fixed,
  prefixed: { jobReportedField: REPORTED_PREFIX, jobFinishedField: FINISHED_PREFIX, jobAttemptField: ATTEMPT_PREFIX, jobSkippedField: SKIPPED_PREFIX },
};

/** The attempts a job shows: the most any of its chunks has recorded. */
export function jobAttempts(stored: Readonly<Record<string, string>>): number {
  let most = 0;
  for (const [field, value] of Object.entries(stored)) {
    if (field.startsWith(ATTEMPT_PREFIX)) most = Math.max(most, Number(value));
  }
  return most;
}
