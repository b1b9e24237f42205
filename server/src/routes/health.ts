import { Router } from 'express';
import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import type { Metrics } from '../metrics.js';

export function healthRouter({ redis, metrics }: { redis: RedisClient; metrics: Metrics }): Router {
  const router = Router();

  router.get('/healthz', async (_req, res) => {
    try {
      const [, backlog] = await Promise.all([redis.ping(), redis.get(keys.backlog)]);
      res.json({ status: 'ok', redis: 'ok', backlog: Number(backlog ?? 0) });
    } catch {
      res
        .status(503)
        .set('Retry-After', '2')
        .json({
          status: 'unavailable',
          redis: 'unreachable',
          backlog: null,
          error: { code: 'unavailable', message: 'Redis is unreachable right now' },
        });
    }
  });

  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });

  return router;
}
