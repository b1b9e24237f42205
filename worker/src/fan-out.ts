import { cursorField, chunkId, jobField, tweetIdFromSeq, tweetView, type FanoutEntry } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { deliverPage, reportChunks, type ChunkReport } from './deliver-page.js';
import type { WorkerConfig } from './config.js';

export interface FanOutOptions {
  /** Which try of this entry this is, from 1. */
  attempt: number;
  /** Checked between pages: true hands the rest of the entry back instead of finishing it. */
  shouldStop: () => boolean;
  /** Called after every page, e.g. to keep ownership of a long chunk. */
  afterPage: () => Promise<void>;
}

export type EntryOutcome = 'complete' | 'stopped';

/**
 * Delivers one stream entry (one or more chunks of a job) to every follower in its chunks,
 * page by page, each chunk in its own bucket (so, on a cluster, on its own master, all at
 * once), then reports the chunks to the job in its author's bucket. Safe to run any number of
 * times, concurrently too: each page is one atomic script that resumes from the chunk's stored
 * cursor, and reports only ever raise what the job holds. A long chunk also reports after each
 * page, which is what moves the author's progress bar.
 * Throws when the entry cannot be delivered; the caller decides whether to retry.
 */
export async function fanOutEntry(redis: RedisClient, config: WorkerConfig, entry: FanoutEntry, options: FanOutOptions): Promise<EntryOutcome> {
  const k = keysOf(redis);
  const [jobTweet, stored] = await Promise.all([redis.hGet(k.job(entry.job), jobField.tweetSeq), redis.hGetAll(k.tweet(entry.tweet))]);
  // No such job (expired, or an entry from a data set Redis lost, whose job id now names
  // another tweet's job): there is nothing left to deliver.
  if (jobTweet !== entry.tweet) return 'complete';
  const tweet = tweetView(stored);
  if (!tweet) throw new Error(`the tweet of job ${entry.job} no longer exists`);

  const timelineNewPayload = JSON.stringify({ tweet });
  const report = (reports: ChunkReport[]) =>
    reportChunks(redis, {
      jobId: entry.job,
      tweetSeq: entry.tweet,
      tweetId: tweet.id,
      authorId: entry.author,
      attempt: options.attempt,
      progressIntervalMs: config.progressIntervalMs,
      reports,
    });

  let stopped = false;
  const reports = await Promise.all(
    entry.chunks.map(async (chunk): Promise<ChunkReport> => {
      // What this run saw; 0 before its first page is safe, since reports only ever raise.
      let delivered = 0;
      for (;;) {
        if (options.shouldStop()) {
          stopped = true;
          return { chunk, delivered, complete: false };
        }
        const page = await deliverPage(redis, pageArgs(chunk));
        delivered = page.delivered;
        if (page.state === 'chunk-done') return { chunk, delivered: page.delivered, complete: true };
        await report([{ chunk, delivered: page.delivered, complete: false }]);
        await options.afterPage();
      }
    }),
  );
  await report(reports);
  return stopped && reports.some((r) => !r.complete) ? 'stopped' : 'complete';

  function pageArgs(chunk: FanoutEntry['chunks'][number]) {
    return {
      jobId: entry.job,
      tweetSeq: entry.tweet,
      authorId: entry.author,
      chunk,
      timelineNewPayload,
      pageSize: config.pageSize,
      timelineMax: config.timelineMax,
    };
  }
}

/**
 * Reports to the job what the entry's pages delivered so far, as their cursors record it,
 * without completing any chunk. Before an entry is given up on: a worker that died after a page
 * and before reporting it left the job short of deliveries that were made, and the job's end
 * releases from the backlog only what it believes undelivered.
 */
export async function reportDeliveredSoFar(redis: RedisClient, entry: FanoutEntry, attempt: number, progressIntervalMs: number): Promise<void> {
  const k = keysOf(redis);
  const reports = await Promise.all(
    entry.chunks.map(async (chunk) => ({
      chunk,
      delivered: Number((await redis.hGet(k.cursor(chunk.bucket, entry.job), cursorField.delivered(chunkId(chunk)))) ?? 0),
      complete: false,
    })),
  );
  await reportChunks(redis, {
    jobId: entry.job,
    tweetSeq: entry.tweet,
    tweetId: tweetIdFromSeq(entry.tweet),
    authorId: entry.author,
    attempt,
    progressIntervalMs,
    reports,
  });
}
