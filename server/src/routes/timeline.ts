import { Router } from 'express';
import { pageQuerySchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { readHomeTimeline, readUserTweets } from '../store/tweets.js';
import { validate } from '../validate.js';
import { userIdForHandle } from './users.js';

export function timelineRouter({ redis, timelineMax }: { redis: RedisClient; timelineMax: number }): Router {
  const router = Router();

  router.get('/api/timeline', async (req, res) => {
    const query = validate(pageQuerySchema, req.query, 'query');
    res.json(await readHomeTimeline(redis, callerId(res), query, timelineMax));
  });

  router.get('/api/users/:handle/tweets', async (req, res) => {
    const userId = await userIdForHandle(redis, req.params.handle);
    const query = validate(pageQuerySchema, req.query, 'query');
    res.json(await readUserTweets(redis, userId, query));
  });

  return router;
}
