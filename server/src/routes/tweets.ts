import { Router } from 'express';
import { idempotencyKeySchema, postTweetBodySchema, seqFromTweetId, statsField, tweetIdSchema } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { retryAfterSeconds } from '../back-pressure.js';
import { HttpError } from '../http-error.js';
import { rateLimit } from '../rate-limit.js';
import type { StatsSampler } from '../stats-sampler.js';
import { admitTweet } from '../store/admit-tweet.js';
import { getTweet } from '../store/tweets.js';
import { validate } from '../validate.js';

export interface TweetsDeps {
  redis: RedisClient;
  stats: StatsSampler;
  fanoutMaxBacklog: number;
  timelineMax: number;
  fanoutChunkSize: number;
  tweetsPerMinute: number;
}

export function tweetsRouter({ redis, stats, fanoutMaxBacklog, timelineMax, fanoutChunkSize, tweetsPerMinute }: TweetsDeps): Router {
  const router = Router();
  const postingLimit = rateLimit(redis, {
    name: 'tweets',
    limit: tweetsPerMinute,
    windowMs: 60_000,
    keyOf: (_req, res) => callerId(res),
    statsField: statsField.refused('rate_limited'),
  });

  router.post('/api/tweets', postingLimit, async (req, res) => {
    const { text } = validate(postTweetBodySchema, req.body);
    const rawKey = req.get('idempotency-key');
    const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    const admitted = await admitTweet(redis, {
      authorId: callerId(res),
      text,
      idempotencyKey,
      maxBacklog: fanoutMaxBacklog,
      timelineMax,
      chunkSize: fanoutChunkSize,
    });
    if (admitted.outcome === 'overloaded') {
      const wait = retryAfterSeconds(admitted.backlog, fanoutMaxBacklog, stats.rate(statsField.delivered));
      throw new HttpError('overloaded', `fan-out backlog is full; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    if (admitted.outcome === 'no-user') throw new HttpError('unauthorized', 'this account no longer exists');
    res.status(202).json({ tweet: admitted.tweet, job: admitted.job });
  });

  router.get('/api/tweets/:id', async (req, res) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const tweet = await getTweet(redis, seqFromTweetId(id));
    if (!tweet) throw new HttpError('not_found', `no tweet ${id}`);
    res.json({ tweet });
  });

  return router;
}
