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

/**
 * A post job stopped by the delete of its tweet (cursor-record's `stopped`) stays stopped this
 * long: it must outlive every copy of the job's chunks that may still run, and a chunk in
 * progress keeps its cursor as long as a job record.
 */
export const CURSOR_STOPPED_RETENTION_S = JOB_RETENTION_S;
