import type { Logger, RedisClient } from '@ripple/shared/node';
import { loadTokenKeys, type TokenKeys } from './tokens.js';

export interface TokenKeyWatch {
  /** The keys to sign and check tokens with, or undefined while a reload is unconfirmed. */
  current: () => TokenKeys | undefined;
  stop: () => void;
}

/**
 * Loads the token keys, and again after every reconnect: a Redis that came back without its
 * data has a new epoch. Until the keys are read again no token is issued or accepted (503), or
 * an old token could open the account of whoever got its user id in the new data set. On a
 * cluster every node's reconnect starts a reload; only the latest one confirms.
 * `onNewDataSet` runs when the epoch changed.
 */
export async function watchTokenKeys(redis: RedisClient, secret: string, log: Logger, onNewDataSet: () => void): Promise<TokenKeyWatch> {
  let keys = await loadTokenKeys(redis, secret);
  let confirmed = true;
  let reloads = 0;
  const reload = () => {
    const attempt = ++reloads;
    confirmed = false;
    loadTokenKeys(redis, secret)
      .then((fresh) => {
        const newDataSet = fresh.epoch !== keys.epoch;
        keys = fresh;
        if (attempt === reloads) confirmed = true;
        if (newDataSet) onNewDataSet();
      })
      .catch((err: unknown) => {
        log.error({ err }, 'could not reload token keys; trying again');
        setTimeout(() => attempt === reloads && reload(), 1000).unref();
      });
  };
  redis.on('ready', reload);
  return {
    current: () => (confirmed ? keys : undefined),
    stop: () => void redis.off('ready', reload),
  };
}
