/** A repeated Idempotency-Key answers the first tweet and job for this long. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

/**
 * Finished job records are kept this long, then expire. It outlives the idempotency window, so
 * a repeated key can always answer its job; and it bounds the memory jobs take.
 */
export const JOB_RETENTION_S = 25 * 3600;
