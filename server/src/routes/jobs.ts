import { Router } from 'express';
import { jobIdSchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { HttpError } from '../http-error.js';
import { readJobJourney } from '../store/job-journey.js';
import { getJob } from '../store/tweets.js';

export function jobsRouter({ redis }: { redis: RedisClient }): Router {
  const router = Router();

  router.get('/api/jobs/:id', async (req, res) => {
    const id = req.params.id;
    // A malformed id names no job: 404, like any unknown one.
    const found = jobIdSchema.safeParse(id).success ? await getJob(redis, id) : null;
    if (!found) throw new HttpError('not_found', `no job ${id}`);
    if (found.authorId !== callerId(res)) throw new HttpError('forbidden', 'only the author may read this job');
    res.json({ job: found.job });
  });

  // The job's life step by step, for its author's journey panel: the same access as the job.
  router.get('/api/jobs/:id/journey', async (req, res) => {
    const id = req.params.id;
    const found = jobIdSchema.safeParse(id).success ? await readJobJourney(redis, id) : null;
    if (!found) throw new HttpError('not_found', `no job ${id}`);
    if (found.authorId !== callerId(res)) throw new HttpError('forbidden', 'only the author may read this job');
    res.json(found.journey);
  });

  return router;
}
