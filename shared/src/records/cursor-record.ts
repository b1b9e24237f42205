import type { LuaRecord } from './lua-record.js';

const CURSOR_PREFIX = 'cursor:';
const DELIVERED_PREFIX = 'delivered:';
const SKIPPED_PREFIX = 'skipped:';

/**
 * Field names of a job's chunk cursors in one bucket (`keys.cursor(bucket, jobId)`), written
 * only by deliver-page.lua. They live in the bucket whose timelines the chunk writes, not with
 * the job, so that a page and its cursor move commit together in one slot: a page lost in a
 * failover is lost with its cursor move, and redone, never doubled. Each chunk's fields are
 * named by its chunk id (see `chunkId`).
 */
export const cursorField = {
  /**
   * Set in a post job's cursors of a bucket once its tweet is deleted: no page of the job
   * writes in that bucket any more. A delete page sets it in the same step as its removals,
   * so a post page either ran before (and its copy is removed) or finds it and writes nothing.
   */
  stopped: 'stopped',
  /** The chunk's cursor: the last follow sequence delivered, or "done". */
  cursor: (chunk: string) => `${CURSOR_PREFIX}${chunk}`,
  /** Followers of the chunk delivered so far. */
  delivered: (chunk: string) => `${DELIVERED_PREFIX}${chunk}`,
  /** Followers of the chunk left out so far, inactive for INACTIVE_AFTER_DAYS. */
  skipped: (chunk: string) => `${SKIPPED_PREFIX}${chunk}`,
} as const;

/** The cursor record for Lua: `CURSOR.stopped`, `cursorField(chunk)`, `cursorDeliveredField(chunk)`, `cursorSkippedField(chunk)`. */
export const cursorRecordLua: LuaRecord = {
  include: 'cursor-record',
  table: 'CURSOR',
  fields: { stopped: cursorField.stopped },
  prefixed: { cursorField: CURSOR_PREFIX, cursorDeliveredField: DELIVERED_PREFIX, cursorSkippedField: SKIPPED_PREFIX },
};
