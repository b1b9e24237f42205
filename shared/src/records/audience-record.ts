import type { LuaRecord } from './lua-record.js';

const COUNT_PREFIX = 'count:';
const VERSION_PREFIX = 'version:';

const fixed = {
  /**
   * The author's follow sequence: every follow takes the next number as its score, so "the
   * followers at posting" are those scored up to its value then, in every bucket.
   */
  seq: 'seq',
} as const;

/**
 * Field names of an author's audience hash (`keys.audience(authorId)`), in the author's bucket.
 * Admission reads a tweet's audience here in one slot: the sequence, and per follower bucket
 * the number of followers there. Counts are synced from the buckets by sync-audience.lua,
 * newest version wins, so a sync that a crash cut off is made good by the next one.
 */
export const audienceField = {
  ...fixed,
  /** Followers of the author in bucket `bucket`. */
  count: (bucket: number | string) => `${COUNT_PREFIX}${bucket}`,
  /** The version of that bucket's follower set the count was read at. */
  version: (bucket: number | string) => `${VERSION_PREFIX}${bucket}`,
} as const;

/** The audience record for Lua: `AUDIENCE.seq`, `audienceCountField(b)`, `audienceVersionField(b)`. */
export const audienceRecordLua: LuaRecord = {
  include: 'audience-record',
  table: 'AUDIENCE',
  fields: fixed,
  prefixed: { audienceCountField: COUNT_PREFIX, audienceVersionField: VERSION_PREFIX },
};

/** Followers in all, from a stored audience hash. */
export function audienceTotal(stored: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [field, value] of Object.entries(stored)) {
    if (field.startsWith(COUNT_PREFIX)) total += Number(value);
  }
  return total;
}
