import type { JobDelivery } from '../schemas.js';
import type { LuaRecord } from './lua-record.js';

const REFUSED_PREFIX = 'refused:';
const DELIVERY_PREFIX = 'admitted:';

const fixed = {
  /** Tweets accepted (not counting idempotent repeats). */
  accepted: 'accepted',
  /** Tweets written into follower timelines. */
  delivered: 'delivered',
  jobsDone: 'jobs:done',
  jobsFailed: 'jobs:failed',
  /** Fan-out entries taken over from another worker (claim-stalled.lua). */
  claims: 'claims',
  /** Tweets admitted on a cluster master that no replica confirmed in time (server, after WAIT). */
  unreplicated: 'admission:unreplicated',
  /** Chunks a cluster worker reported complete without a replica confirming their pages (fan-out.ts). */
  chunksUnreplicated: 'chunks:unreplicated',
} as const;

/** Why a tweet is refused: each reason has its own counter. */
export const REFUSAL_REASONS = ['overloaded', 'rate_limited'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Field names of the cluster-wide counters hash (`keys.stats`), the one source for /metrics,
 * the dashboard and the drain rate.
 */
export const statsField = {
  ...fixed,
  refused: (reason: RefusalReason) => `${REFUSED_PREFIX}${reason}`,
  /**
   * Tweets sent out by one delivery mode (a job's `delivery`: "fan-out", "inline", "on-read"),
   * counted as the way is decided: by admit-tweet.lua, or publish-scheduled.lua for a scheduled
   * tweet. The dashboard's mix.
   */
  delivery: (delivery: JobDelivery) => `${DELIVERY_PREFIX}${delivery}`,
} as const;

/** The stats record for Lua: `STATS.<name>`, `statsRefusedField(reason)`, `statsDeliveryField(delivery)`. */
export const statsRecordLua: LuaRecord = {
  include: 'stats-record',
  table: 'STATS',
  fields: fixed,
  prefixed: { statsRefusedField: REFUSED_PREFIX, statsDeliveryField: DELIVERY_PREFIX },
};
