import type { LuaRecord } from './lua-record.js';

const BUCKET_PREFIX = 'le:';

const fixed = { sum: 'sum', count: 'count' } as const;

/**
 * Field names of the fan-out duration histogram hash (`keys.fanoutDurations`), written by
 * deliver-page.lua and read by /metrics: a count per bucket, plus the sum (ms) and count of all.
 */
export const fanoutDurationsField = {
  ...fixed,
  /** The bucket of durations up to `bound` ms ("+Inf" for the last). */
  bucket: (bound: string | number) => `${BUCKET_PREFIX}${bound}`,
} as const;

/** The histogram for Lua: `DURATIONS.<name>`, `durationsBucketField(bound)`. */
export const fanoutDurationsRecordLua: LuaRecord = {
  include: 'fanout-durations-record',
  table: 'DURATIONS',
  fields: fixed,
  prefixed: { durationsBucketField: BUCKET_PREFIX },
};
