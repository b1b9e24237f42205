import { EVENTS_MAX_LEN, JOB_RETENTION_S, JOURNEY_MAX_STEPS, timelineTrimAt, tweetField, TWEET_ID_DIGITS } from '@ripple/shared';
import { defineLuaScript, keysOf, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';

export const publishScheduledScript = defineLuaScript({
  url: new URL('./lua/publish-scheduled.lua', import.meta.url),
  keys: [
    'publishSchedule',
    'tweet',
    'job',
    'scheduledBy',
    'audience',
    'userTweets',
    'timeline',
    'smallLane',
    'bulkLane',
    'events',
    'backlog',
    'smallBacklog',
    'authorBacklog',
    'journey',
    'onReadAuthors',
    'stats',
  ],
  args: ['tweetSeq', 'timelineMax', 'timelineTrimAt', 'eventsMaxLen', 'jobRetentionS', 'tweetIdDigits', 'journeyMaxSteps'],
  reply: z.union([z.tuple([z.literal('published'), z.string(), z.number()]), z.tuple([z.enum(['not-due', 'gone'])])]),
});

/** Scheduled tweets published in one call at most, so that a backlog of due ones does not hold up the loop. */
const PUBLISH_BATCH = 100;

export type PublishOutcome = 'published' | 'not-due' | 'gone';

/**
 * Publishes one scheduled tweet if it is still on its bucket's schedule and due on Redis's
 * clock: the only caller of publish-scheduled.lua. Safe to call twice or from two workers at
 * once: only one call publishes it. Its author and job are read first, to name the script's keys
 * (all in the author's bucket); a tweet cancelled meanwhile is `gone`.
 */
export async function publishScheduledTweet(redis: RedisClient, seq: string, timelineMax: number): Promise<PublishOutcome> {
  const k = keysOf(redis);
  const [authorId, jobId] = await redis.hmGet(k.tweet(seq), [tweetField.authorId, tweetField.job]);
  if (!authorId || !jobId) return 'gone';
  const bucket = k.layout.bucketOf(seq);
  const lanes = k.fanoutLanes(bucket);
  const reply = await publishScheduledScript.run(
    redis,
    {
      publishSchedule: k.publishSchedule(bucket),
      tweet: k.tweet(seq),
      job: k.job(jobId),
      scheduledBy: k.scheduledBy(authorId),
      audience: k.audience(authorId),
      userTweets: k.userTweets(authorId),
      timeline: k.timeline(authorId),
      smallLane: lanes.small,
      bulkLane: lanes.bulk,
      events: k.eventsStream(bucket),
      backlog: k.backlog(bucket),
      smallBacklog: k.smallBacklog(bucket),
      authorBacklog: k.authorBacklog(authorId),
      journey: k.journey(jobId),
      onReadAuthors: k.onReadAuthors(bucket),
      stats: k.stats(bucket),
    },
    {
      tweetSeq: seq,
      timelineMax,
      timelineTrimAt: timelineTrimAt(timelineMax),
      eventsMaxLen: EVENTS_MAX_LEN,
      jobRetentionS: JOB_RETENTION_S,
      tweetIdDigits: TWEET_ID_DIGITS,
      journeyMaxSteps: JOURNEY_MAX_STEPS,
    },
  );
  return reply[0];
}

/**
 * Publishes the scheduled tweets of one bucket that are due by `now`; returns how many this
 * call published. Every worker runs it (like promoteDueRetries), so a tweet is published on time
 * as long as any worker runs, and once however many do.
 */
export async function publishDueTweets(redis: RedisClient, bucket: number, timelineMax: number, now = Date.now()): Promise<number> {
  const due = await redis.zRangeByScore(keysOf(redis).publishSchedule(bucket), '-inf', now, { LIMIT: { offset: 0, count: PUBLISH_BATCH } });
  let published = 0;
  for (const seq of due) {
    if ((await publishScheduledTweet(redis, seq, timelineMax)) === 'published') published++;
  }
  return published;
}
