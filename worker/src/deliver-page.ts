import { chunkId, CURSOR_DONE_RETENTION_S, EVENTS_MAX_LEN, FANOUT_DURATION_BUCKETS_MS, JOB_RETENTION_S, RECENT_FANOUTS_KEPT, timelineTrimAt, type Chunk } from '@ripple/shared';
import { keysOf, loadLuaScript, type RedisClient } from '@ripple/shared/node';

const pageScript = loadLuaScript(new URL('./lua/deliver-page.lua', import.meta.url));
const reportScript = loadLuaScript(new URL('./lua/report-chunks.lua', import.meta.url));

export interface PageResult {
  /** "more": the chunk has followers left; "chunk-done": it is complete. */
  state: 'more' | 'chunk-done';
  /** Followers of the chunk delivered so far. */
  delivered: number;
}

export interface DeliverPageArgs {
  jobId: string;
  tweetSeq: string;
  authorId: string;
  chunk: Chunk;
  /** JSON of the timeline:new payload, built once per job. */
  timelineNewPayload: string;
  pageSize: number;
  timelineMax: number;
}

/** Delivers the next page of one chunk atomically, in the chunk's bucket; the only caller of deliver-page.lua. */
export async function deliverPage(redis: RedisClient, a: DeliverPageArgs): Promise<PageResult> {
  const k = keysOf(redis);
  const b = a.chunk.bucket;
  const reply = (await pageScript.run(
    redis,
    [k.cursor(b, a.jobId), k.followers(b, a.authorId), k.online(b), k.eventsStream(b), k.stats(b)],
    [
      chunkId(a.chunk),
      a.chunk.lo,
      a.chunk.hi,
      a.pageSize,
      a.timelineMax,
      k.timelinePrefix(b),
      a.tweetSeq,
      a.timelineNewPayload,
      EVENTS_MAX_LEN,
      timelineTrimAt(a.timelineMax),
      JOB_RETENTION_S,
      CURSOR_DONE_RETENTION_S,
    ],
  )) as [PageResult['state'], number];
  return { state: reply[0], delivered: Number(reply[1]) };
}

/** What a chunk's pages have done so far, as reported to its job. */
export interface ChunkReport {
  chunk: Chunk;
  delivered: number;
  complete: boolean;
}

export interface ReportArgs {
  jobId: string;
  tweetSeq: string;
  tweetId: string;
  authorId: string;
  /** Which try of the entry this is, from 1. */
  attempt: number;
  progressIntervalMs: number;
  reports: readonly ChunkReport[];
}

export type ReportState = 'running' | 'job-done' | 'missing';

/**
 * Records chunks' progress in their job, in the author's bucket, finishing the job when the
 * last chunk is complete; the only caller of report-chunks.lua. Safe to repeat.
 */
export async function reportChunks(redis: RedisClient, a: ReportArgs): Promise<ReportState> {
  const k = keysOf(redis);
  const b = k.layout.bucketOf(a.jobId);
  const reply = (await reportScript.run(
    redis,
    [
      k.job(a.jobId),
      k.backlog(b),
      k.eventsStream(b),
      k.stats(b),
      k.fanoutDurations(b),
      k.recentDurations(b),
      k.smallBacklog(b),
      k.authorBacklog(a.authorId),
    ],
    [
      a.tweetSeq,
      a.tweetId,
      a.authorId,
      a.progressIntervalMs,
      JOB_RETENTION_S,
      FANOUT_DURATION_BUCKETS_MS.join(','),
      RECENT_FANOUTS_KEPT,
      EVENTS_MAX_LEN,
      a.attempt,
      ...a.reports.flatMap((r) => [chunkId(r.chunk), r.delivered, r.complete ? 1 : 0]),
    ],
  )) as [ReportState, number, number];
  return reply[0];
}
