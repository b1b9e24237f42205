import { jobField, keys, tweetView, type FanoutEntry } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { deliverPage } from './deliver-page.js';
import type { WorkerConfig } from './config.js';

export interface FanOutOptions {
  /** Which try of this chunk this is, from 1. */
  attempt: number;
  /** Checked between pages: true hands the rest of the chunk back instead of finishing it. */
  shouldStop: () => boolean;
  /** Called after every page, e.g. to keep ownership of a long chunk. */
  afterPage: () => Promise<void>;
}

export type ChunkOutcome = 'complete' | 'stopped';

/**
 * Delivers one stream entry (a chunk of a job) to every follower in its range, page by page.
 * Safe to run any number of times, concurrently too: each page is one atomic script that
 * resumes from the chunk's stored cursor, so a rerun only finishes what is left.
 * Throws when the chunk cannot be delivered; the caller decides whether to retry.
 */
export async function fanOutChunk(redis: RedisClient, config: WorkerConfig, entry: FanoutEntry, options: FanOutOptions): Promise<ChunkOutcome> {
  // Entries name their tweet and author; those written before they did are looked up in the job.
  let { tweet: tweetSeq, author: authorId } = entry;
  if (!tweetSeq || !authorId) {
    [tweetSeq, authorId] = (await redis.hmGet(keys.job(entry.job), [jobField.tweetSeq, jobField.authorId])) as [string | undefined, string | undefined];
    // A job that expired or never existed has nothing left to deliver.
    if (!tweetSeq || !authorId) return 'complete';
  }
  const tweet = tweetView(await redis.hGetAll(keys.tweet(tweetSeq)));
  if (!tweet) throw new Error(`the tweet of job ${entry.job} no longer exists`);

  const timelineNewPayload = JSON.stringify({ tweet });
  for (;;) {
    if (options.shouldStop()) return 'stopped';
    const page = await deliverPage(redis, {
      jobId: entry.job,
      tweetSeq,
      tweetId: tweet.id,
      authorId,
      timelineNewPayload,
      lo: entry.lo,
      hi: entry.hi,
      attempt: options.attempt,
      pageSize: config.pageSize,
      timelineMax: config.timelineMax,
      progressIntervalMs: config.progressIntervalMs,
    });
    if (page.state !== 'more') return 'complete';
    await options.afterPage();
  }
}
