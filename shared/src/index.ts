export * from './schemas.js';
export * from './errors.js';
export * from './events.js';
export { bucketTag, CLUSTER_BUCKETS, keys, keysFor, layoutOf, SINGLE_REDIS_BUCKETS, type Lanes, type Layout, type RippleKeys } from './keys.js';
export * from './records/index.js';
export * from './views.js';
export * from './retention.js';
export * from './stats.js';
export * from './backoff.js';
