import type { LuaRecord } from './lua-record.js';

/**
 * A job's journey (`keys.journey(jobId)`, a list in the job's bucket, oldest first): the steps
 * its job hash cannot tell afterwards, each written as JSON by the script or MULTI that makes
 * it happen, in the same step, so recording one costs no round trip of its own. Accepted,
 * queued, started, done and failed times are the job hash's; only these are kept here:
 *
 * - `published`: a scheduled tweet came due (publish-scheduled.lua); `scheduledAt` is when it
 *   was accepted, since the job's enqueuedAt becomes the publish time.
 * - `started`: a worker's first report of an entry it runs (report-chunks.lua): one step per
 *   entry run, not per page or per follower.
 * - `takeover`: a worker claimed an entry stalled in another's hands (claim-stalled.lua):
 *   `requeued` with the attempt counted when its worker was dead, else run alongside it.
 * - `retry`: an entry's run failed and its next attempt is scheduled (retries.ts).
 *
 * Workers are stored by consumer name, which names their host; the journey's reader numbers
 * them as the dashboard does before anything leaves the server.
 */
export const journeyStepField = {
  kind: 'kind',
  /**
   * When it happened, ms: Redis's clock, but the worker's for `started` (when the run began, which
   * its first report tells later) and `retry` (written by a MULTI, not a script).
   */
  at: 'at',
  /** Consumer name of the worker that did it. */
  worker: 'worker',
  /** `takeover`: the consumer the entry was taken from. */
  from: 'from',
  /** `takeover`: "requeued" (its worker was dead) or "alive" (stalled, run alongside). */
  outcome: 'outcome',
  /** The entry's attempt: the one that started, the one requeued, or the one coming after a retry. */
  attempt: 'attempt',
  /** The entry's chunks, space-separated: chunk ids (`bucket:lo`) or the entry's own field (`bucket:lo:hi`); readers keep `bucket:lo`. */
  chunks: 'chunks',
  /** `retry`: why the attempt failed. */
  error: 'error',
  /** `retry`: when the next attempt is due, ms. */
  dueAt: 'dueAt',
  /** `published`: when the scheduled tweet was accepted, ms. */
  scheduledAt: 'scheduledAt',
} as const;

export const JOURNEY_STEP_KINDS = ['published', 'started', 'takeover', 'retry'] as const;
export type JourneyStepKind = (typeof JOURNEY_STEP_KINDS)[number];

/**
 * Steps kept per job: the first ones, later pushes are trimmed off. A 3-million-follower tweet
 * is 300 chunks of 10 000; the panel shows a few dozen at most, and takeovers and retries are
 * rare, so this bounds the record without hiding anything a person would read.
 */
export const JOURNEY_MAX_STEPS = 400;

/** The journey step for Lua: `STEP.<name>`. */
export const journeyRecordLua: LuaRecord = { include: 'journey-record', table: 'STEP', fields: journeyStepField, prefixed: {} };
