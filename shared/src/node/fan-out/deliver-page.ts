import {
  chunkId,
  CURSOR_DONE_RETENTION_S,
  EVENTS_MAX_LEN,
  FANOUT_DURATION_BUCKETS_MS,
  JOB_RETENTION_S,
  JOURNEY_MAX_STEPS,
  RECENT_FANOUTS_KEPT,
  timelineTrimAt,
  type Chunk,
} from '../../index.js';
import { defineLuaScript } from '../lua-script.js';
import type { RedisClient } from '../redis-client.js';
import { keysOf } from '../ripple-redis.js';
import { z } from 'zod';

export const deliverPageScript = defineLuaScript({
  url: new URL('./lua/deliver-page.lua', import.meta.url),
  keys: ['cursors', 'followers', 'online', 'events', 'stats', 'lastActive'],
  args: [
    'chunk',
    'lo',
    'hi',
    'pageSize',
    'timelineMax',
    'timelinePrefix',
    'tweetSeq',
    'timelineNew',
    'eventsMaxLen',
    'timelineTrimAt',
    'cursorRetentionS',
    'doneRetentionS',
    'inactiveBeforeMs',
  ],
  /** {state, followers of the chunk delivered so far, inactive ones left out so far}. */
  reply: z.tuple([z.enum(['more', 'chunk-done']), z.number(), z.number()]),
});

const reportStateSchema = z.enum(['running', 'job-done', 'missing']);
export type ReportState = z.infer<typeof reportStateSchema>;

export const reportChunksScript = defineLuaScript({
  url: new URL('./lua/report-chunks.lua', import.meta.url),
  keys: ['job', 'backlog', 'events', 'stats', 'durations', 'recentDurations', 'smallBacklog', 'authorBacklog', 'retrySchedule', 'journey'],
  args: [
    'tweetSeq',
    'tweetId',
    'authorId',
    'progressIntervalMs',
    'jobRetentionS',
    'durationBoundsMs',
    'recentKept',
    'eventsMaxLen',
    'attempt',
    'worker',
    'runStartedAt',
    'journeyMaxSteps',
  ],
  rest: 'reports',
  /** {state, delivered, total}. */
  reply: z.tuple([reportStateSchema, z.number(), z.number()]),
});

export interface PageResult {
  /** "more": the chunk has followers left; "chunk-done": it is complete. */
  state: 'more' | 'chunk-done';
  /** Followers of the chunk delivered so far. */
  delivered: number;
  /** Followers of the chunk left out so far as inactive (INACTIVE_AFTER_DAYS). */
  skipped: number;
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
  /** Followers last active before this (ms) are left out; 0: nobody is. */
  inactiveBeforeMs: number;
}

/** Delivers the next page of one chunk atomically, in the chunk's bucket; the only caller of deliver-page.lua. */
export async function deliverPage(redis: RedisClient, a: DeliverPageArgs): Promise<PageResult> {
  const k = keysOf(redis);
  const b = a.chunk.bucket;
  const [state, delivered, skipped] = await deliverPageScript.run(
    redis,
    {
      cursors: k.cursor(b, a.jobId),
      followers: k.followers(b, a.authorId),
      online: k.online(b),
      events: k.eventsStream(b),
      stats: k.stats(b),
      lastActive: k.lastActive(b),
    },
    {
      chunk: chunkId(a.chunk),
      lo: a.chunk.lo,
      hi: a.chunk.hi,
      pageSize: a.pageSize,
      timelineMax: a.timelineMax,
      timelinePrefix: k.timelinePrefix(b),
      tweetSeq: a.tweetSeq,
      timelineNew: a.timelineNewPayload,
      eventsMaxLen: EVENTS_MAX_LEN,
      timelineTrimAt: timelineTrimAt(a.timelineMax),
      cursorRetentionS: JOB_RETENTION_S,
      doneRetentionS: CURSOR_DONE_RETENTION_S,
      inactiveBeforeMs: a.inactiveBeforeMs,
    },
  );
  return { state, delivered, skipped };
}

/** What a chunk's pages have done so far, as reported to its job. */
export interface ChunkReport {
  chunk: Chunk;
  delivered: number;
  complete: boolean;
  /** Inactive followers left out so far. */
  skipped: number;
}

export interface ReportArgs {
  jobId: string;
  tweetSeq: string;
  tweetId: string;
  authorId: string;
  /** Which try of the entry this is, from 1. */
  attempt: number;
  progressIntervalMs: number;
  /** The reporting worker's consumer name. */
  worker: string;
  /** On the first report of a run of the entry: when the run started (ms), for the job's journey; else 0. */
  runStartedAt: number;
  reports: readonly ChunkReport[];
}

/**
 * Records chunks' progress in their job, in the author's bucket, finishing the job when the
 * last chunk is complete; the only caller of report-chunks.lua. Safe to repeat.
 */
export async function reportChunks(redis: RedisClient, a: ReportArgs): Promise<ReportState> {
  const k = keysOf(redis);
  const b = k.layout.bucketOf(a.jobId);
  const [state] = await reportChunksScript.run(
    redis,
    {
      job: k.job(a.jobId),
      backlog: k.backlog(b),
      events: k.eventsStream(b),
      stats: k.stats(b),
      durations: k.fanoutDurations(b),
      recentDurations: k.recentDurations(b),
      smallBacklog: k.smallBacklog(b),
      authorBacklog: k.authorBacklog(a.authorId),
      retrySchedule: k.retrySchedule(b),
      journey: k.journey(a.jobId),
    },
    {
      tweetSeq: a.tweetSeq,
      tweetId: a.tweetId,
      authorId: a.authorId,
      progressIntervalMs: a.progressIntervalMs,
      jobRetentionS: JOB_RETENTION_S,
      durationBoundsMs: FANOUT_DURATION_BUCKETS_MS.join(','),
      recentKept: RECENT_FANOUTS_KEPT,
      eventsMaxLen: EVENTS_MAX_LEN,
      attempt: a.attempt,
      worker: a.worker,
      runStartedAt: a.runStartedAt,
      journeyMaxSteps: JOURNEY_MAX_STEPS,
      reports: a.reports.flatMap((r) => [chunkId(r.chunk), r.delivered, r.complete ? 1 : 0, r.skipped]),
    },
  );
  return state;
}
