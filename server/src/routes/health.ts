import { Router } from 'express';
import type { RedisClient } from '@ripple/shared/node';
import { readBacklog } from '../store/bucket-totals.js';
import type { Metrics } from '../metrics.js';

/** Health must answer quickly even when Redis hangs instead of failing. */
const HEALTH_TIMEOUT_MS = 2000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

export function healthRouter({ redis }: { redis: RedisClient }): Router {
  const router = Router();

  router.get('/healthz', async (_req, res) => {
    try {
      const [, backlog] = await within(HEALTH_TIMEOUT_MS, Promise.all([redis.ping(), readBacklog(redis)]));
      res.json({ status: 'ok', redis: 'ok', backlog });
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

  return router;
}

/** Prometheus text; needs no token, so METRICS_PORT can keep it off the public port. */
export function metricsRouter({ metrics }: { metrics: Metrics }): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  return router;
}
