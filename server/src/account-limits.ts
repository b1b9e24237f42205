import type { Request } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { HttpError } from './http-error.js';

/** The address a request came from, as `trust proxy` (app.ts) lets Express read it. */
const addressOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Spends one point of `key`, or throws 429 rate_limited with the seconds until the window
 * ends. A Redis failure is rethrown as it is, so the error handler answers 503.
 */
async function spend(limiter: RateLimiterRedis, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (refused) {
    if (!(refused instanceof RateLimiterRes)) throw refused;
    const wait = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
    throw new HttpError('rate_limited', `${what}; try again in ${wait} s`, { 'Retry-After': String(wait) });
  }
}

const limiter = (redis: RedisClient, name: string, points: number, durationS: number) =>
  new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, keyPrefix: keysOf(redis).limiter(name), points, duration: durationS });

export interface SignInThrottle {
  /** Spends an attempt of this handle from this address, or throws 429. */
  attempt(req: Request, handle: string): Promise<void>;
  /** The right password: the pair's failures are forgotten. */
  succeeded(req: Request, handle: string): Promise<void>;
}

/**
 * Failed sign-ins per handle *and* address: guesses from one address run out after `perMinute`
 * within a minute of the first, while the owner, from their own address, still gets in.
 * The attempt is spent before the password is checked, so parallel guesses cannot all slip in
 * under the limit; a success gives the pair a clean slate.
 */
export function signInThrottle(redis: RedisClient, perMinute: number): SignInThrottle {
  const failures = limiter(redis, 'sign-in', perMinute, 60);
  const pair = (req: Request, handle: string) => `${handle}:${addressOf(req)}`;
  return {
    attempt: (req, handle) => spend(failures, pair(req, handle), 'too many failed sign-ins for this handle from this address'),
    async succeeded(req, handle) {
      await failures.delete(pair(req, handle));
    },
  };
}

export interface SignUpLimit {
  /** Spends a sign-up of this address, or throws 429 naming the setting. */
  spend(req: Request): Promise<void>;
  /** The sign-up did not happen (the handle was taken meanwhile): the address gets it back. */
  refund(req: Request): Promise<void>;
}

/** Successful sign-ups per address per hour (RATE_LIMIT_SIGNUPS_PER_HOUR); 0 turns it off. */
export function signUpLimit(redis: RedisClient, perHour: number): SignUpLimit {
  if (perHour === 0) return { spend: async () => {}, refund: async () => {} };
  const signUps = limiter(redis, 'sign-up', perHour, 3600);
  return {
    spend: (req) => spend(signUps, addressOf(req), `too many sign-ups from this address (RATE_LIMIT_SIGNUPS_PER_HOUR=${perHour})`),
    async refund(req) {
      await signUps.reward(addressOf(req));
    },
  };
}
