import { EVENTS_MAX_LEN, FANOUT_DURATION_BUCKETS_MS, JOB_RETENTION_S, jobField, keys, RECENT_FANOUTS_KEPT, timelineTrimAt } from '@ripple/shared';
import { loadLuaScript, type RedisClient } from '@ripple/shared/node';

const script = loadLuaScript(new URL('./lua/deliver-page.lua', import.meta.url));

export type PageState = 'more' | 'chunk-done' | 'job-done' | 'missing';

export interface PageResult {
  state: PageState;
  delivered: number;
  total: number;
}

export interface DeliverPageArgs {
  jobId: string;
  tweetSeq: string;
  tweetId: string;
  authorId: string;
  /** JSON of the timeline:new payload, built once per job. */
  timelineNewPayload: string;
  lo: string;
  hi: string;
  /** Which try of this chunk this is, from 1. */
  attempt: number;
  pageSize: number;
  timelineMax: number;
  progressIntervalMs: number;
}

/** Delivers the next page of one chunk atomically; the only caller of deliver-page.lua. */
export async function deliverPage(redis: RedisClient, a: DeliverPageArgs): Promise<PageResult> {
  const reply = (await script.run(
    redis,
    [keys.job(a.jobId), keys.followers(a.authorId), keys.online, keys.backlog, keys.eventsStream, keys.stats, keys.fanoutDurations, keys.recentDurations],
    [
      jobField.cursor(a.lo),
      a.lo,
      a.hi,
      a.pageSize,
      a.timelineMax,
      keys.timelinePrefix,
      a.tweetSeq,
      a.timelineNewPayload,
      a.jobId,
      a.tweetId,
      a.authorId,
      EVENTS_MAX_LEN,
      a.progressIntervalMs,
      JOB_RETENTION_S,
      FANOUT_DURATION_BUCKETS_MS.join(','),
      RECENT_FANOUTS_KEPT,
      timelineTrimAt(a.timelineMax),
      a.attempt,
    ],
  )) as [PageState, number, number];
  return { state: reply[0], delivered: Number(reply[1]), total: Number(reply[2]) };
}
