import type { Request, RequestHandler, Response } from 'express';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { HttpError } from './http-error.js';

export interface RateLimitOptions {
  /** Names the limit in its Redis keys, e.g. "tweets". */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Whose budget a request spends (a user id or handle); null lets the request through. */
  keyOf: (req: Request, res: Response) => string | null;
  /** Counter in the shared stats that counts refusals; none when nobody reads the count. */
  statsField?: string;
}

/**
 * Fixed-window limit per user, counted in Redis so it holds across every server node. A request
 * over the limit answers 429 rate_limited with Retry-After: the seconds until the window ends.
 */
export function rateLimit(redis: RedisClient, { name, limit, windowMs, keyOf, statsField }: RateLimitOptions): RequestHandler {
  return async (req, res, next) => {
    const who = keyOf(req, res);
    if (who === null) return next();
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const key = keysOf(redis).rateLimit(name, who, window);
    const [count] = await redis
      .multi()
      .incr(key)
      .pExpire(key, windowMs * 2)
      .exec();
    if (Number(count) > limit) {
      const wait = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
      // Refusals are rare: any bucket's counters will do, and they are summed for reading.
      if (statsField) await redis.hIncrBy(keysOf(redis).stats(0), statsField, 1);
      throw new HttpError('rate_limited', `too many requests; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    next();
  };
}
