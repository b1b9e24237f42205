import type { LuaRecord } from './lua-record.js';

/** Each chunk of a job keeps its own fields, named by the chunk's start (its "lo"). */
const CURSOR_PREFIX = 'cursor:';
const ATTEMPT_PREFIX = 'attempt:';

/**
 * The fixed fields of a fan-out job hash (`keys.job(id)`). Written by admit-tweet.lua, moved on
 * by deliver-page.lua and give-up-chunk.lua, read by views and the worker.
 */
const fixed = {
  id: 'id',
  tweetSeq: 'tweetSeq',
  authorId: 'authorId',
  /** queued → running → done, or failed once any chunk is given up on. */
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
} as const;

/** Field names of the job hash: the only place they are spelled, for TypeScript and (generated) Lua. */
export const jobField = {
  ...fixed,
  /** The chunk's cursor: the last follow sequence delivered, or "done". */
  cursor: (chunk: string) => `${CURSOR_PREFIX}${chunk}`,
  /** The highest attempt number seen for the chunk. */
  attempt: (chunk: string) => `${ATTEMPT_PREFIX}${chunk}`,
} as const;

/** The job record for Lua: `JOB.<name>`, `jobCursorField(lo)`, `jobAttemptField(lo)`. */
export const jobRecordLua: LuaRecord = {
  include: 'job-record',
  table: 'JOB',
  fields: fixed,
  prefixed: { jobCursorField: CURSOR_PREFIX, jobAttemptField: ATTEMPT_PREFIX },
};

/** The attempts a job shows: the most any of its chunks has recorded. */
export function jobAttempts(stored: Readonly<Record<string, string>>): number {
  let most = 0;
  for (const [field, value] of Object.entries(stored)) {
    if (field.startsWith(ATTEMPT_PREFIX)) most = Math.max(most, Number(value));
  }
  return most;
}
