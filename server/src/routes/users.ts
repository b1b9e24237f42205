import { Router } from 'express';
import { credentialsSchema, handleSchema, syntheticFollowersBodySchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { HttpError } from '../http-error.js';
import { signInThrottle, signUpLimit } from '../account-limits.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../passwords.js';
import { rateLimit } from '../rate-limit.js';
import { addSyntheticFollowers, reserveSyntheticFollowers } from '../store/follows.js';
import { createUser, findUserIdByHandle, getPasswordHash, getUser, setPasswordHash } from '../store/users.js';
import type { Tokens } from '../tokens.js';
import { validate } from '../validate.js';
import { markActive } from '../activity.js';

export interface UsersDeps {
  redis: RedisClient;
  tokens: Tokens;
  demo: boolean;
  demoMaxFollowers: number;
  syntheticPerMinute: number;
  signInsPerMinute: number;
  signUpsPerHour: number;
}

/** Resolves a handle from the URL to a user id, or throws not_found. */
export async function userIdForHandle(redis: RedisClient, rawHandle: unknown): Promise<string> {
  const handle = validate(handleSchema, rawHandle, 'handle');
  const id = await findUserIdByHandle(redis, handle);
  if (!id) throw new HttpError('not_found', `no user @${handle}`);
  return id;
}

async function userOrThrow(redis: RedisClient, id: string) {
  const user = await getUser(redis, id);
  if (!user) throw new HttpError('not_found', 'no such user');
  return user;
}

/** Sign-up and sign-in: no token needed. */
export function publicUsersRouter({ redis, tokens, signInsPerMinute, signUpsPerHour }: UsersDeps): Router {
  const router = Router();
  const signIns = signInThrottle(redis, signInsPerMinute);
  const signUps = signUpLimit(redis, signUpsPerHour);

  router.post('/api/users', async (req, res) => {
    const { handle, password } = validate(credentialsSchema, req.body);
    // Before the hash and the new id: a taken handle costs neither.
    if (await findUserIdByHandle(redis, handle)) throw new HttpError('handle_taken', `@${handle} is taken`);
    await signUps.spend(req);
    const id = await createUser(redis, handle, await hashPassword(password));
    if (!id) {
      // Lost a race for the handle.
      await signUps.refund(req);
      throw new HttpError('handle_taken', `@${handle} is taken`);
    }
    await markActive(redis, id);
    res.status(201).json({ user: await userOrThrow(redis, id), token: tokens.issue(id) });
  });

  router.post('/api/sessions', async (req, res) => {
    const { handle, password } = validate(credentialsSchema, req.body);
    await signIns.attempt(req, handle);
    const id = await findUserIdByHandle(redis, handle);
    const stored = id ? await getPasswordHash(redis, id) : null;
    // An unknown handle costs a hash too, so the time of the answer does not tell it apart.
    const matches = id && stored ? await verifyPassword(password, stored) : await verifyAgainstDummy(password);
    if (!id || !stored || !matches) throw new HttpError('unauthorized', 'wrong handle or password');
    await signIns.succeeded(req, handle);
    if (needsRehash(stored)) await setPasswordHash(redis, id, await hashPassword(password));
    res.json({ user: await userOrThrow(redis, id), token: tokens.issue(id) });
  });

  return router;
}

export function usersRouter({ redis, demo, demoMaxFollowers, syntheticPerMinute }: UsersDeps): Router {
  const router = Router();

  router.get('/api/me', async (_req, res) => {
    const user = await getUser(redis, callerId(res));
    // A valid signature for a user that no longer exists (e.g. Redis was wiped) is no session.
    if (!user) throw new HttpError('unauthorized', 'this account no longer exists');
    res.json({ user });
  });

  router.get('/api/users/:handle', async (req, res) => {
    res.json({ user: await userOrThrow(redis, await userIdForHandle(redis, req.params.handle)) });
  });

  if (demo) {
    const syntheticLimit = rateLimit(redis, {
      name: 'synthetic',
      limit: syntheticPerMinute,
      windowMs: 60_000,
      keyOf: (_req, res) => callerId(res),
    });
    router.post('/api/me/followers/synthetic', syntheticLimit, async (req, res) => {
      const { count } = validate(syntheticFollowersBodySchema, req.body);
      if (!(await reserveSyntheticFollowers(redis, callerId(res), count, demoMaxFollowers))) {
        throw new HttpError('invalid_request', `count: an account may have at most ${demoMaxFollowers} synthetic followers in all (RIPPLE_DEMO_MAX_FOLLOWERS)`);
      }
      await addSyntheticFollowers(redis, callerId(res), count);
      res.json({ user: await userOrThrow(redis, callerId(res)) });
    });
  }

  return router;
}
