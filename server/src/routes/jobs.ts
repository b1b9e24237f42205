import { Router } from 'express';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { HttpError } from '../http-error.js';
import { getJob } from '../store/tweets.js';

export function jobsRouter({ redis }: { redis: RedisClient }): Router {
  const router = Router();

  router.get('/api/jobs/:id', async (req, res) => {
    const id = req.params.id;
    const found = /^[0-9]{1,16}$/.test(id) ? await getJob(redis, id) : null;
    if (!found) throw new HttpError('not_found', `no job ${id}`);
    if (found.authorId !== callerId(res)) throw new HttpError('forbidden', 'only the author may read this job');
    res.json({ job: found.job });
  });

  return router;
}
