import { chunkId, CURSOR_DONE_RETENTION_S, CURSOR_STOPPED_RETENTION_S, EVENTS_MAX_LEN, JOB_RETENTION_S, type Chunk } from '../../index.js';
import { defineLuaScript } from '../lua-script.js';
import type { RedisClient } from '../redis-client.js';
import { keysOf } from '../ripple-redis.js';
import { z } from 'zod';
import type { PageResult } from './deliver-page.js';

export const deletePageScript = defineLuaScript({
  url: new URL('./lua/delete-page.lua', import.meta.url),
  keys: ['cursors', 'postCursors', 'followers', 'online', 'events'],
  args: [
    'chunk',
    'lo',
    'hi',
    'pageSize',
    'timelinePrefix',
    'tweetSeq',
    'tweetDeleted',
    'eventsMaxLen',
    'cursorRetentionS',
    'doneRetentionS',
    'stoppedRetentionS',
  ],
  /** {state, timelines of the chunk the tweet was taken out of so far}. */
  reply: z.tuple([z.enum(['more', 'chunk-done']), z.number()]),
});

export interface DeletePageArgs {
  /** The delete job. */
  jobId: string;
  /** The post job it undoes, whose pages it stops. */
  postJobId: string;
  tweetSeq: string;
  authorId: string;
  chunk: Chunk;
  /** JSON of the tweet:deleted payload, built once per job. */
  tweetDeletedPayload: string;
  pageSize: number;
}

/**
 * Takes the tweet out of the next page of one chunk's timelines atomically, in the chunk's
 * bucket, stopping the post job there first; the only caller of delete-page.lua. Its count
 * stands for a delete job's "delivered".
 */
export async function deletePage(redis: RedisClient, a: DeletePageArgs): Promise<PageResult> {
  const k = keysOf(redis);
  const b = a.chunk.bucket;
  const [state, removed] = await deletePageScript.run(
    redis,
    {
      cursors: k.cursor(b, a.jobId),
      postCursors: k.cursor(b, a.postJobId),
      followers: k.followers(b, a.authorId),
      online: k.online(b),
      events: k.eventsStream(b),
    },
    {
      chunk: chunkId(a.chunk),
      lo: a.chunk.lo,
      hi: a.chunk.hi,
      pageSize: a.pageSize,
      timelinePrefix: k.timelinePrefix(b),
      tweetSeq: a.tweetSeq,
      tweetDeleted: a.tweetDeletedPayload,
      eventsMaxLen: EVENTS_MAX_LEN,
      cursorRetentionS: JOB_RETENTION_S,
      doneRetentionS: CURSOR_DONE_RETENTION_S,
      stoppedRetentionS: CURSOR_STOPPED_RETENTION_S,
    },
  );
  return { state, delivered: removed, skipped: 0 };
}
