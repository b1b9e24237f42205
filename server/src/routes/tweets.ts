import { Router } from 'express';
import { idempotencyKeySchema, postTweetBodySchema, publishAtProblems, seqFromTweetId, statsField, tweetIdSchema } from '@ripple/shared';
import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import { callerId } from '../auth.js';
import { retryAfterSeconds } from '../back-pressure.js';
import type { BacklogSampler } from '../backlog-sampler.js';
import type { AdmissionBounds } from '../config.js';
import { HttpError } from '../http-error.js';
import { deliverInline } from '../inline-delivery.js';
import { fixedWindow, rateLimited } from '../rate-limit.js';
import type { ReplicationCheck } from '../replication-check.js';
import type { StatsSampler } from '../stats-sampler.js';
import { admitTweet } from '../store/admit-tweet.js';
import { deleteTweet } from '../store/delete-tweet.js';
import { readJobJourney } from '../store/job-journey.js';
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
  fanoutInlineMax: number;
  fanoutPageSize: number;
  inactiveAfterDays: number;
  log: Logger;
}

/** What a refusal says, and the bound the Retry-After counts down to. */
const refusals = {
  author: { limit: (b: AdmissionBounds) => b.fanoutMaxAuthorBacklog, says: 'your earlier tweets are still being delivered' },
  small: { limit: (b: AdmissionBounds) => b.fanoutMaxSmallBacklog, says: 'too many tweets are waiting to be delivered' },
  backlog: { limit: (b: AdmissionBounds) => b.fanoutMaxBacklog, says: 'too many big fan-outs are waiting to be delivered' },
} as const;

/** RATE_LIMIT_TWEETS_PER_MIN counts the posts of one clock minute. */
const POSTING_WINDOW_MS = 60_000;

export function tweetsRouter(deps: TweetsDeps): Router {
  const { redis, stats, backlog, replication, timelineMax, fanoutChunkSize, tweetsPerMinute, fanoutInlineMax, fanoutPageSize, inactiveAfterDays, log } = deps;
  const bounds: AdmissionBounds = {
    fanoutMaxBacklog: deps.fanoutMaxBacklog,
    fanoutSmallAudience: deps.fanoutSmallAudience,
    fanoutMaxSmallBacklog: deps.fanoutMaxSmallBacklog,
    fanoutMaxAuthorBacklog: deps.fanoutMaxAuthorBacklog,
    fanoutOnReadThreshold: deps.fanoutOnReadThreshold,
  };
  const router = Router();

  router.post('/api/tweets', async (req, res) => {
    const { text, publishAt } = validate(postTweetBodySchema, req.body);
    const rawKey = req.get('idempotency-key');
    const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    const authorId = callerId(res);
    // The author's posting budget is spent by admission itself, in its one round trip.
    const postingWindow = fixedWindow(POSTING_WINDOW_MS);
    const admitted = await admitTweet(redis, {
      authorId,
      text,
      publishAt,
      idempotencyKey,
      bounds,
      timelineMax,
      chunkSize: fanoutChunkSize,
      otherBacklog: backlog.otherBacklog(keysOf(redis).layout.bucketOf(authorId)),
      postingLimit: { limit: tweetsPerMinute, window: postingWindow },
      inlineMax: fanoutInlineMax,
    });
    if (admitted.outcome === 'rate-limited') throw rateLimited(postingWindow);
    if (admitted.outcome === 'overloaded') {
      const refusal = refusals[admitted.bound];
      const wait = retryAfterSeconds(admitted.count, refusal.limit(bounds), stats.rate(statsField.delivered));
      throw new HttpError('overloaded', `${refusal.says}; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    if (admitted.outcome === 'idempotency-mismatch') {
      throw new HttpError('idempotency_mismatch', 'Idempotency-Key was already used for a request with a different body');
    }
    if (admitted.outcome === 'publish-at') throw new HttpError('invalid_request', publishAtProblems[admitted.problem]);
    if (admitted.outcome === 'no-user') throw new HttpError('unauthorized', 'this account no longer exists');
    if (admitted.outcome === 'deleted') throw new HttpError('not_found', 'the tweet this Idempotency-Key posted has been deleted or cancelled');
    if (admitted.outcome === 'new') await replication.confirm(authorId, keysOf(redis).tweet(seqFromTweetId(admitted.tweet.id)));
    const job = admitted.inline
      ? await deliverInline({ redis, timelineMax, pageSize: fanoutPageSize, inactiveAfterDays, log }, admitted.inline, admitted.job)
      : admitted.job;
    res.status(202).json({ tweet: admitted.tweet, job });
  });

  router.get('/api/tweets/:id', async (req, res) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const stored = await readTweet(redis, seqFromTweetId(id));
    // A scheduled tweet does not exist yet for anyone but its author.
    if (!stored || (stored.scheduledJob !== null && stored.tweet.author.id !== callerId(res))) throw new HttpError('not_found', `no tweet ${id}`);
    res.json({ tweet: stored.tweet });
  });

  // The journey of the tweet's post job, for a page that holds the tweet but not its job (after a reload).
  router.get('/api/tweets/:id/journey', async (req, res) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const stored = await readTweet(redis, seqFromTweetId(id));
    const caller = callerId(res);
    if (!stored || (stored.scheduledJob !== null && stored.tweet.author.id !== caller)) throw new HttpError('not_found', `no tweet ${id}`);
    if (stored.tweet.author.id !== caller) throw new HttpError('forbidden', "only its author may read a tweet's journey");
    const found = stored.job === null ? null : await readJobJourney(redis, stored.job);
    if (!found) throw new HttpError('not_found', `the job of tweet ${id} is no longer kept`);
    res.json(found.journey);
  });

  router.get('/api/me/scheduled', async (_req, res) => {
    res.json({ tweets: await listScheduledTweets(redis, callerId(res)) });
  });

  // A scheduled tweet is cancelled: 200 {"cancelled": true}, and it is never published. A
  // published one is deleted: gone from every read at once, its copies then taken out of its
  // followers' timelines by a delete job (202). A tweet published while the cancel looked is
  // deleted like any published tweet: publish-scheduled.lua and cancel-scheduled.lua both take
  // it off the schedule, so exactly one of them wins.
  router.delete('/api/tweets/:id', async (req, res) => {
    const id = validate(tweetIdSchema, req.params.id, 'id');
    const seq = String(seqFromTweetId(id));
    const caller = callerId(res);
    const stored = await readTweet(redis, seq);
    if (stored && stored.scheduledJob !== null) {
      if (stored.tweet.author.id !== caller) throw new HttpError('forbidden', 'only its author can delete a tweet');
      if (await cancelScheduledTweet(redis, seq, stored.tweet.author.id, stored.scheduledJob)) {
        res.json({ cancelled: true });
        return;
      }
    }
    const deleted = await deleteTweet(redis, {
      callerId: caller,
      tweetSeq: seq,
      chunkSize: fanoutChunkSize,
      smallAudience: bounds.fanoutSmallAudience,
    });
    if (deleted.outcome !== 'deleted') {
      throw deleted.outcome === 'forbidden' ? new HttpError('forbidden', 'only its author can delete a tweet') : new HttpError('not_found', `no tweet ${id}`);
    }
    res.status(202).json({ job: deleted.job });
  });

  return router;
}
