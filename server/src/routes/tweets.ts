import { Router } from 'express';
import { idempotencyKeySchema, postTweetBodySchema, publishAtProblems, seqFromTweetId, statsField, tweetIdSchema } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { retryAfterSeconds } from '../back-pressure.js';
import type { BacklogSampler } from '../backlog-sampler.js';
import type { AdmissionBounds } from '../config.js';
import { HttpError } from '../http-error.js';
import { rateLimit } from '../rate-limit.js';
import type { ReplicationCheck } from '../replication-check.js';
import type { StatsSampler } from '../stats-sampler.js';
import { admitTweet } from '../store/admit-tweet.js';
import { cancelScheduledTweet, listScheduledTweets, readTweet } from '../store/scheduled-tweets.js';
import { validate } from '../validate.js';

export interface TweetsDeps extends AdmissionBounds {
  redis: RedisClient;
  stats: StatsSampler;
  backlog: BacklogSampler;
  replication: ReplicationCheck;
  timelineMax: number;
  fanoutChunkSize: number;
  tweetsPerMinute: number;
}

/** What a refusal says, and the bound the Retry-After counts down to. */
const refusals = {
  author: { limit: (b: AdmissionBounds) => b.fanoutMaxAuthorBacklog, says: 'your earlier tweets are still being delivered' },
  small: { limit: (b: AdmissionBounds) => b.fanoutMaxSmallBacklog, says: 'too many tweets are waiting to be delivered' },
  backlog: { limit: (b: AdmissionBounds) => b.fanoutMaxBacklog, says: 'too many big fan-outs are waiting to be delivered' },
} as const;

export function tweetsRouter(deps: TweetsDeps): Router {
  const { redis, stats, backlog, replication, timelineMax, fanoutChunkSize, tweetsPerMinute } = deps;
  const bounds: AdmissionBounds = {
    fanoutMaxBacklog: deps.fanoutMaxBacklog,
    fanoutSmallAudience: deps.fanoutSmallAudience,
    fanoutMaxSmallBacklog: deps.fanoutMaxSmallBacklog,
    fanoutMaxAuthorBacklog: deps.fanoutMaxAuthorBacklog,
  };
  const router = Router();
  const postingLimit = rateLimit(redis, {
    name: 'tweets',
    limit: tweetsPerMinute,
    windowMs: 60_000,
    keyOf: (_req, res) => callerId(res),
    statsField: statsField.refused('rate_limited'),
  });

  router.post('/api/tweets', postingLimit, async (req, res) => {
    const { text, publishAt } = validate(postTweetBodySchema, req.body);
    const rawKey = req.get('idempotency-key');
    const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    const authorId = callerId(res);
    const admitted = await admitTweet(redis, {
      authorId,
      text,
      publishAt,
      idempotencyKey,
      bounds,
      timelineMax,
      chunkSize: fanoutChunkSize,
      otherBacklog: backlog.otherBacklog(keysOf(redis).layout.bucketOf(authorId)),
    });
    if (admitted.outcome === 'overloaded') {
      const refusal = refusals[admitted.bound];
      const wait = retryAfterSeconds(admitted.count, refusal.limit(bounds), stats.rate(statsField.delivered));
      throw new HttpError('overloaded', `${refusal.says}; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    if (admitted.outcome === 'idempotency-mismatch') {
      throw new HttpError('idempotency_mismatch', 'Idempotency-Key was already used for a request with a different body');
    }
    if (admitted.outcome === 'publish-at') throw new HttpError('invalid_request', publishAtProblems[admitted.problem]);
    if (admitted.outcome === 'gone') throw new HttpError('not_found', 'the tweet this Idempotency-Key posted is gone (cancelled)');
    if (admitted.outcome === 'no-user') throw new HttpError('unauthorized', 'this account no longer exists');
    if (admitted.outcome === 'new') await replication.confirm(authorId, keysOf(redis).tweet(seqFromTweetId(admitted.tweet.id)));
    res.status(202).json({ tweet: admitted.tweet, job: admitted.job });
  });

  router.get('/api/tweets/:id', async (req, res) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const stored = await readTweet(redis, seqFromTweetId(id));
    // A scheduled tweet does not exist yet for anyone but its author.
    if (!stored || (stored.scheduledJob !== null && stored.tweet.author.id !== callerId(res))) throw new HttpError('not_found', `no tweet ${id}`);
    res.json({ tweet: stored.tweet });
  });

  router.get('/api/me/scheduled', async (_req, res) => {
    res.json({ tweets: await listScheduledTweets(redis, callerId(res)) });
  });

  // Cancelling a scheduled tweet. Anything else (a published tweet, or none) goes on to the
  // next handler of this route, as does a tweet published while this one looked.
  router.delete('/api/tweets/:id', async (req, res, next) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const seq = String(seqFromTweetId(id));
    const stored = await readTweet(redis, seq);
    if (!stored || stored.scheduledJob === null) return next();
    if (stored.tweet.author.id !== callerId(res)) throw new HttpError('forbidden', 'only its author may delete a tweet');
    if (!(await cancelScheduledTweet(redis, seq, stored.tweet.author.id, stored.scheduledJob))) return next();
    res.json({ cancelled: true });
  });

  return router;
}
