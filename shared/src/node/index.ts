export * from './redis-client.js';
export * from './redis-cluster-client.js';
export * from './lua-script.js';
export * from './lua-includes.js';
export * from './logger.js';
export * from './shutdown.js';
export * from './ripple-redis.js';
export * from './settings.js';
