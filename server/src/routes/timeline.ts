import { Router } from 'express';
import { keys, pageQuerySchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { readTweetPage } from '../store/tweets.js';
import { validate } from '../validate.js';
import { userIdForHandle } from './users.js';

export function timelineRouter({ redis }: { redis: RedisClient }): Router {
  const router = Router();

  router.get('/api/timeline', async (req, res) => {
    const query = validate(pageQuerySchema, req.query, 'query');
    res.json(await readTweetPage(redis, keys.timeline(callerId(res)), query));
  });

  router.get('/api/users/:handle/tweets', async (req, res) => {
    const userId = await userIdForHandle(redis, req.params.handle);
    const query = validate(pageQuerySchema, req.query, 'query');
    res.json(await readTweetPage(redis, keys.userTweets(userId), query));
  });

  return router;
}
