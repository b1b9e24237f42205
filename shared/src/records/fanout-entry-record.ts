import type { LuaRecord } from './lua-record.js';

/**
 * Field names of a fan-out stream entry (`keys.fanoutLanes(bucket)`), written by
 * admit-tweet.lua, requeued by claim-stalled.lua and promote-retries.lua, read by workers
 * through `fanoutEntrySchema`.
 */
export const fanoutEntryField = {
  job: 'job',
  tweet: 'tweet',
  author: 'author',
  /** `bucket:lo:hi`, space-separated (`formatChunks`). */
  chunks: 'chunks',
  /** Tries of the entry so far; absent before its first retry. */
  attempt: 'attempt',
} as const;

/**
 * A retry schedule member (`keys.retrySchedule(bucket)`) is an entry's fields as JSON, plus
 * these: the lane to put it back on, and the id of the entry it was (none for an inline
 * delivery's, which was never on a lane: enqueue-fan-out.lua).
 */
export const retryField = { lane: 'lane', id: 'id' } as const;

/**
 * A dead letter (`keys.deadLetterStream(bucket)`) is an entry's fields plus these: the id it
 * had in its lane, and why it was given up on.
 */
export const deadLetterField = { sourceId: 'sourceId', reason: 'reason' } as const;

/** The three for Lua: `ENTRY.<name>`, with a retry's and a dead letter's own fields. */
export const fanoutEntryRecordLua: LuaRecord = {
  include: 'fanout-entry-record',
  table: 'ENTRY',
  fields: { ...fanoutEntryField, ...retryField, ...deadLetterField },
  prefixed: {},
};
