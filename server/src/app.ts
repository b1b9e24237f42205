import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger, RedisClient } from '@ripple/shared/node';
import { createActivity } from './activity.js';
import { callerId, requireAuth } from './auth.js';
import { HttpError, errorHandler, notFound } from './http-error.js';
import type { AdmissionBound, ServerConfig } from './config.js';
import type { Metrics } from './metrics.js';
import type { StatsSampler } from './stats-sampler.js';
import type { BacklogSampler } from './backlog-sampler.js';
import type { ReplicationCheck } from './replication-check.js';
import { followsRouter } from './routes/follows.js';
import { healthRouter, metricsRouter } from './routes/health.js';
import { jobsRouter } from './routes/jobs.js';
import { timelineRouter } from './routes/timeline.js';
import { tweetsRouter } from './routes/tweets.js';
import { publicUsersRouter, usersRouter } from './routes/users.js';
import type { Tokens } from './tokens.js';

export interface AppDeps extends Pick<
  ServerConfig,
  | AdmissionBound
  | 'timelineMax'
  | 'fanoutChunkSize'
  | 'fanoutInlineMax'
  | 'fanoutPageSize'
  | 'tweetsPerMinute'
  | 'signInsPerMinute'
  | 'signUpsPerHour'
  | 'demo'
  | 'metricsPort'
  | 'demoMaxFollowers'
  | 'syntheticPerMinute'
  | 'inactiveAfterDays'
> {
  redis: RedisClient;
  tokens: Tokens;
  metrics: Metrics;
  stats: StatsSampler;
  backlog: BacklogSampler;
  replication: ReplicationCheck;
  log: Logger;
  /** Directory of the built client to serve at `/`; omitted in API-only tests. */
  clientDir?: string | undefined;
}

/** The contract's body limit. */
const BODY_LIMIT = '16kb';

/**
 * A request still unanswered after this long is answered 503 unavailable. Redis that is frozen
 * rather than gone (a stopped process, a full network buffer) leaves commands waiting forever;
 * the client deserves an answer it can retry on (with the same Idempotency-Key).
 */
const REQUEST_DEADLINE_MS = 10_000;

const deadline: RequestHandler = (req, res, next) => {
  const timer = setTimeout(() => {
    if (res.headersSent) return;
    // A command already sent to a frozen Redis may still run when it wakes up: a write cannot
    // be promised undone, so the answer says so, and the Idempotency-Key makes a retry safe.
    const message =
      req.method === 'GET'
        ? 'storage is not answering right now; try again shortly'
        : 'storage is not answering right now; the change may still be applied, so retry with the same Idempotency-Key';
    res
      .status(503)
      .set('Retry-After', '2')
      .json({ error: { code: 'unavailable', message } });
  }, REQUEST_DEADLINE_MS);
  res.once('close', () => clearTimeout(timer));
  next();
};

/**
 * Helmet's protective headers (nosniff, no framing, no referrer leaks) with a CSP the built
 * client passes: everything from this origin (Socket.IO's WebSocket included), no inline
 * scripts, no plugins, no framing. Inline styles stay allowed: React sets style attributes.
 * No upgrade-insecure-requests: TLS is the deployment's to add, and the local demo is plain HTTP.
 */
const protectiveHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
    },
  },
  frameguard: { action: 'deny' },
});

/** A body that is there must be JSON; a POST without a body is left to validation. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    throw new HttpError('unsupported_media_type', 'request body must be JSON (Content-Type: application/json)');
  }
  next();
};

/** The app of METRICS_PORT: `/metrics` and nothing else. */
export function createMetricsApp(deps: Pick<AppDeps, 'metrics' | 'log'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter(deps), notFound, errorHandler(deps.log));
  return app;
}

/** Builds the Express app from injected parts; no I/O happens here. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(protectiveHeaders);
  app.use(deadline);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // The matched route pattern, not the raw path: ids would make every path its own series.
      const path = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof path === 'string' ? path : req.path.startsWith('/api/') ? 'unmatched' : 'static';
      deps.metrics.observeRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
  app.use(healthRouter(deps));
  if (deps.metricsPort === undefined) app.use(metricsRouter(deps));
  // Nothing under /api runs while the token keys are re-read after a reconnect (tokens.ts):
  // a sign-up then would write a user and fail to hand out a token for it.
  app.use('/api', (_req, _res, next) => {
    deps.tokens.assertReady();
    next();
  });
  app.use('/api', requireJsonBody, express.json({ limit: BODY_LIMIT }));
  app.use(publicUsersRouter(deps));
  app.use('/api', requireAuth(deps.tokens));
  const activity = createActivity(deps.redis, deps.log, deps);
  app.use('/api', async (_req, res, next) => {
    await activity.recordActive(callerId(res));
    next();
  });
  app.use(usersRouter(deps), followsRouter(deps), tweetsRouter(deps), timelineRouter(deps), jobsRouter(deps));
  app.use('/api', notFound);

  if (deps.clientDir && existsSync(path.join(deps.clientDir, 'index.html'))) {
    const index = path.join(deps.clientDir, 'index.html');
    app.use(express.static(deps.clientDir, { index: false, maxAge: '1h' }));
    // Client-side routes (e.g. /dashboard) all load the single page.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(index));
  }
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
