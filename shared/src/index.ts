export * from './schemas.js';
export * from './errors.js';
export * from './events.js';
export { keys } from './keys.js';
export * from './records/index.js';
export * from './views.js';
export * from './retention.js';
export * from './stats.js';
export * from './backoff.js';
