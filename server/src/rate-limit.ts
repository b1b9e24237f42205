import type { Request, RequestHandler, Response } from 'express';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { HttpError } from './http-error.js';

export interface RateLimitOptions {
  /** Names the limit in its Redis keys, e.g. "synthetic". */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Whose budget a request spends (a user id); null lets the request through. */
  keyOf: (req: Request, res: Response) => string | null;
}

/**
 * A fixed window of a per-user limit, as this node's clock places `now` in it. Every node
 * counts into the same key for the same window; the key lives two windows, so that a node
 * whose clock runs a little behind still finds it.
 */
export interface FixedWindow {
  /** Which window `now` is in: part of the counter's key. */
  index: number;
  /** How long the counter is kept. */
  ttlMs: number;
  /** Seconds until the window ends (at least 1): a refused request's Retry-After. */
  retryAfterS: number;
}

export function fixedWindow(windowMs: number, now: number = Date.now()): FixedWindow {
  const index = Math.floor(now / windowMs);
  return { index, ttlMs: windowMs * 2, retryAfterS: Math.max(1, Math.ceil(((index + 1) * windowMs - now) / 1000)) };
}

/** The contract's answer to a request over a per-user limit: 429 rate_limited with Retry-After. */
export function rateLimited(window: FixedWindow): HttpError {
  const wait = window.retryAfterS;
  return new HttpError('rate_limited', `too many requests; try again in ${wait} s`, { 'Retry-After': String(wait) });
}

/**
 * Fixed-window limit per user, counted in Redis so it holds across every server node. A request
 * over the limit answers 429 rate_limited with Retry-After: the seconds until the window ends.
 * Posting a tweet is counted by admission itself instead (admit-tweet.lua), in the same round trip.
 */
export function rateLimit(redis: RedisClient, { name, limit, windowMs, keyOf }: RateLimitOptions): RequestHandler {
  return async (req, res, next) => {
    const who = keyOf(req, res);
    if (who === null) return next();
    const window = fixedWindow(windowMs);
    const key = keysOf(redis).rateLimit(name, who, window.index);
    const [count] = await redis.multi().incr(key).pExpire(key, window.ttlMs).exec();
    if (Number(count) > limit) throw rateLimited(window);
    next();
  };
}
