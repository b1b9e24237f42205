/** A repeated Idempotency-Key answers the first tweet and job for this long. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

/**
 * Finished job records are kept this long, then expire. It outlives the idempotency window, so
 * a repeated key can always answer its job; and it bounds the memory jobs take.
 */
export const JOB_RETENTION_S = 25 * 3600;

/**
 * A completed chunk's cursor ("done") is kept this long. It only has to outlive every copy of
 * the chunk that may still run: one claimed from a stalled worker, or one waiting on the retry
 * schedule (at most 30 s between tries). A cursor in progress is kept as long as a job record.
 */
export const CURSOR_DONE_RETENTION_S = 3600;
