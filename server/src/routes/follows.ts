import { Router } from 'express';
import { followBodySchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { HttpError } from '../http-error.js';
import { follow, unfollow } from '../store/follows.js';
import { validate } from '../validate.js';
import { userIdForHandle } from './users.js';

export function followsRouter({ redis }: { redis: RedisClient }): Router {
  const router = Router();

  router.post('/api/follows', async (req, res) => {
    const { handle } = validate(followBodySchema, req.body);
    const followee = await userIdForHandle(redis, handle);
    if (followee === callerId(res)) throw new HttpError('invalid_request', 'handle: you cannot follow yourself');
    await follow(redis, callerId(res), followee);
    res.json({ following: true });
  });

  router.delete('/api/follows/:handle', async (req, res) => {
    await unfollow(redis, callerId(res), await userIdForHandle(redis, req.params.handle));
    res.json({ following: false });
  });

  return router;
}
