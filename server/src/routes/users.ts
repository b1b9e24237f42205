import { Router } from 'express';
import { credentialsSchema, handleSchema, syntheticFollowersBodySchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { HttpError } from '../http-error.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { rateLimit } from '../rate-limit.js';
import { addSyntheticFollowers, reserveSyntheticFollowers } from '../store/follows.js';
import { createUser, findUserIdByHandle, getPasswordHash, getUser } from '../store/users.js';
import type { Tokens } from '../tokens.js';
import { validate } from '../validate.js';

export interface UsersDeps {
  redis: RedisClient;
  tokens: Tokens;
  demo: boolean;
  demoMaxFollowers: number;
  syntheticPerMinute: number;
  signInsPerMinute: number;
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
export function publicUsersRouter({ redis, tokens, signInsPerMinute }: UsersDeps): Router {
  const router = Router();
  // Guessing passwords is limited per account, whichever address the guesses come from.
  const signInLimit = rateLimit(redis, {
    name: 'sign-in',
    limit: signInsPerMinute,
    windowMs: 60_000,
    keyOf: (req) => {
      const handle = handleSchema.safeParse((req.body as { handle?: unknown } | undefined)?.handle);
      return handle.success ? handle.data : null;
    },
  });

  router.post('/api/users', async (req, res) => {
    const { handle, password } = validate(credentialsSchema, req.body);
    const id = await createUser(redis, handle, await hashPassword(password));
    if (!id) throw new HttpError('handle_taken', `@${handle} is taken`);
    res.status(201).json({ user: await userOrThrow(redis, id), token: tokens.issue(id) });
  });

  router.post('/api/sessions', signInLimit, async (req, res) => {
    const { handle, password } = validate(credentialsSchema, req.body);
    const id = await findUserIdByHandle(redis, handle);
    const stored = id ? await getPasswordHash(redis, id) : null;
    if (!id || !stored || !(await verifyPassword(password, stored))) {
      throw new HttpError('unauthorized', 'wrong handle or password');
    }
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
