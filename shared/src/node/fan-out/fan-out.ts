import {
  CURSOR_STOPPED_RETENTION_S,
  cursorField,
  chunkId,
  jobField,
  statsField,
  tweetField,
  tweetIdFromSeq,
  tweetView,
  type Chunk,
  type FanoutEntry,
  type StoredHash,
} from '../../index.js';
import type { RedisClient } from '../redis-client.js';
import { inactiveBeforeMs } from '../inactivity.js';
import { keysOf, waitForReplicas } from '../ripple-redis.js';
import { deletePage } from './delete-page.js';
import { deliverPage, reportChunks, type ChunkReport, type PageResult } from './deliver-page.js';

/** What a fan-out run is set with: a worker's settings, or a server's for the audiences it delivers inline. */
export interface FanOutSettings {
  /** Followers written per page script. */
  pageSize: number;
  /** TIMELINE_MAX. */
  timelineMax: number;
  /** Progress events at least this often (ms) while a job runs. */
  progressIntervalMs: number;
  /** INACTIVE_AFTER_DAYS: followers inactive for longer are left out; 0: none are. */
  inactiveAfterDays: number;
  /**
   * The worker running the entry (its consumer name), whom the job's journey names; null for a
   * server delivering inline, which is no worker: its run leaves no "started" step, and the
   * job's delivery says how it travelled.
   */
  consumerName: string | null;
}

export interface FanOutOptions {
  /** Which try of this entry this is, from 1. */
  attempt: number;
  /** Checked between pages: true hands the rest of the entry back instead of finishing it. */
  shouldStop: () => boolean;
  /** Called after every page, e.g. to keep ownership of a long chunk. */
  afterPage: () => Promise<void>;
}

export interface EntryOutcome {
  state: 'complete' | 'stopped';
  /** Deliveries the entry's chunks count so far, which the worker weighs its lanes by. */
  delivered: number;
}

/**
 * Runs one stream entry (one or more chunks of a job) over every follower in its chunks,
 * page by page, each chunk in its own bucket (so, on a cluster, on its own master, all at
 * once), then reports the chunks to the job in its author's bucket. Safe to run any number of
 * times, concurrently too: each page is one atomic script that resumes from the chunk's stored
 * cursor, and reports only ever raise what the job holds. A long chunk also reports after each
 * page, which is what moves the author's progress bar.
 * Throws when the entry cannot be delivered; the caller decides whether to retry.
 */
export async function fanOutEntry(redis: RedisClient, config: FanOutSettings, entry: FanoutEntry, options: FanOutOptions): Promise<EntryOutcome> {
  const k = keysOf(redis);
  const [[jobTweet, jobTotal, jobKind], stored] = await Promise.all([
    redis.hmGet(k.job(entry.job), [jobField.tweetSeq, jobField.total, jobField.kind]),
    redis.hGetAll(k.tweet(entry.tweet)),
  ]);
  // No such job (expired, or an entry from a data set Redis lost, whose job id now names
  // another tweet's job): there is nothing left to deliver.
  if (jobTweet !== entry.tweet) return { state: 'complete', delivered: 0 };
  const runPage = jobKind === 'delete' ? deletePages(entry, stored, config) : await postPages(redis, entry, stored, config);
  const tweetId = tweetIdFromSeq(entry.tweet);
  // The run's first report tells the job's journey when it started, and by whom.
  let runStartedAt = config.consumerName === null ? 0 : Date.now();
  const report = (reports: ChunkReport[]) => {
    const startedAt = runStartedAt;
    runStartedAt = 0;
    return reportChunks(redis, {
      jobId: entry.job,
      tweetSeq: entry.tweet,
      tweetId,
      authorId: entry.author,
      attempt: options.attempt,
      progressIntervalMs: config.progressIntervalMs,
      worker: config.consumerName ?? '',
      runStartedAt: startedAt,
      reports,
    });
  };

  // The entry's chunks report together, between pages only when the news is worth a round trip
  // to the author's master: once 5 % of the job (and at least a page) is unreported, or a
  // progress interval after the last report. With report-chunks.lua's own 5 % step, progress
  // events then come at least every 10 % and a page, and a chunk finished early is not held
  // back until its entry's slowest chunk ends (on a cluster, a small tweet is one entry with a
  // chunk on every master).
  const reportEvery = Math.max(config.pageSize, Math.floor(Number(jobTotal) / 20));
  // What this run saw of each chunk; 0 before its first page is safe, since reports only ever raise.
  const states = new Map(entry.chunks.map((chunk): [Chunk, ChunkReport] => [chunk, { chunk, delivered: 0, complete: false, skipped: 0 }]));
  let unreported = 0;
  let reportedAt = Date.now();
  const reportIfDue = async (now = false) => {
    if (!now && unreported < reportEvery && Date.now() - reportedAt < config.progressIntervalMs) return;
    unreported = 0;
    reportedAt = Date.now();
    await report([...states.values()]);
  };

  let stopped = false;
  // One chunk failing stops the others at their next page: the entry is retried or given up as
  // a whole, and no page of it may still run once that is decided.
  let failed = false;
  const outcomes = await Promise.allSettled(
    entry.chunks.map(async (chunk): Promise<void> => {
      const state = states.get(chunk)!;
      try {
        for (;;) {
          if (failed || options.shouldStop()) {
            stopped = true;
            return;
          }
          const page = await runPage(redis, chunk);
          unreported += page.delivered + page.skipped - state.delivered - state.skipped;
          state.delivered = page.delivered;
          state.skipped = page.skipped;
          if (page.state === 'chunk-done') {
            await confirmReplicated(redis, entry.job, chunk);
            state.complete = true;
            await reportIfDue();
            return;
          }
          // A chunk of more than one page reports after its first: the job's journey then shows
          // who started it even when that worker dies before 5 %. At most one more call per long
          // chunk (none where a page is 5 % of the job already); an entry of one-page chunks (a
          // small tweet) reports at its end as before.
          await reportIfDue(runStartedAt !== 0);
          await options.afterPage();
        }
      } catch (err) {
        failed = true;
        throw err;
      }
    }),
  );
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected) throw rejected.reason;
  const reports = [...states.values()];
  await report(reports);
  const delivered = reports.reduce((sum, r) => sum + r.delivered, 0);
  return { state: stopped && reports.some((r) => !r.complete) ? 'stopped' : 'complete', delivered };
}

/** The next page of one chunk of the entry: a delivery or a removal, as the job's kind says. */
type RunPage = (redis: RedisClient, chunk: Chunk) => Promise<PageResult>;

/**
 * Pages of a post job. A tweet deleted before its entry runs stops the job in every bucket of
 * the entry first, so its chunks end at once with what they delivered: the fan-out of a deleted
 * tweet stops, and none of its pages runs after the delete's pages (delete-page.lua).
 */
async function postPages(redis: RedisClient, entry: FanoutEntry, stored: StoredHash, config: FanOutSettings): Promise<RunPage> {
  if (stored[tweetField.deletedAt]) {
    await stopPostJob(redis, entry);
    return (client, chunk) => deliverPage(client, { ...common(chunk), timelineNewPayload: '' });
  }
  const tweet = tweetView(stored);
  if (!tweet) throw new Error(`the tweet of job ${entry.job} no longer exists`);
  // Why the payload goes with every page: the tweet is read from Redis once per entry, here,
  // but deliver-page.lua runs in the followers' bucket, on a cluster another master than the
  // tweet's, where a script cannot read the tweet hash; so the payload has to travel. Storing it
  // once per chunk beside the cursor would save a few hundred bytes against a page of 1 000
  // timeline writes (under a byte per delivery), and add a record to keep, expire and recover
  // when it is missing. Sending it costs only bandwidth; the page itself stays one round trip.
  const timelineNewPayload = JSON.stringify({ tweet });
  return (client, chunk) => deliverPage(client, { ...common(chunk), timelineNewPayload });

  function common(chunk: Chunk) {
    return {
      jobId: entry.job,
      tweetSeq: entry.tweet,
      authorId: entry.author,
      chunk,
      pageSize: config.pageSize,
      timelineMax: config.timelineMax,
      inactiveBeforeMs: inactiveBeforeMs(config.inactiveAfterDays, Date.now()),
    };
  }
}

/** Pages of a delete job, which stop the tweet's post job (named on the tweet) bucket by bucket. */
function deletePages(entry: FanoutEntry, stored: StoredHash, config: FanOutSettings): RunPage {
  // A tweet stored before tweets named their post job: that job is long done, and the stop
  // lands in the delete job's own cursors, where nothing reads it.
  const postJobId = stored[tweetField.job] ?? entry.job;
  const tweetDeletedPayload = JSON.stringify({ tweetId: tweetIdFromSeq(entry.tweet) });
  return (client, chunk) =>
    deletePage(client, { jobId: entry.job, postJobId, tweetSeq: entry.tweet, authorId: entry.author, chunk, tweetDeletedPayload, pageSize: config.pageSize });
}

/** Stops a post job in each bucket of the entry's chunks: its pages there write nothing more. */
async function stopPostJob(redis: RedisClient, entry: FanoutEntry): Promise<void> {
  const k = keysOf(redis);
  const buckets = new Set(entry.chunks.map((chunk) => chunk.bucket));
  await Promise.all(
    [...buckets].map((b) =>
      redis.multi().hSet(k.cursor(b, entry.job), cursorField.stopped, 1).expire(k.cursor(b, entry.job), CURSOR_STOPPED_RETENTION_S).exec(),
    ),
  );
}

/**
 * How long a worker waits for a replica to confirm a chunk's pages before it reports the chunk
 * complete. Pages are redone from their cursor when a failover loses them, but only while the
 * chunk is still being worked on: once it is reported complete and its entry acked, nothing
 * would run it again. A replica on the same network confirms in well under a millisecond.
 */
const CHUNK_REPLICA_WAIT_MS = 100;

/**
 * Waits for a replica of the chunk's master to hold its pages (a no-op on a single Redis).
 * When none confirms in time (a master just promoted has no replica yet), the chunk is
 * reported complete anyway and the miss is counted: its last pages are then in the loss window
 * the README describes, rather than the fan-out waiting for a replica that may not come back.
 */
async function confirmReplicated(redis: RedisClient, jobId: string, chunk: Chunk): Promise<void> {
  const k = keysOf(redis);
  if ((await waitForReplicas(redis, k.cursor(chunk.bucket, jobId), 1, CHUNK_REPLICA_WAIT_MS)) >= 1) return;
  await redis.hIncrBy(k.stats(chunk.bucket), statsField.chunksUnreplicated, 1);
}

/**
 * Reports to the job what the entry's pages delivered so far, as their cursors record it,
 * without completing any chunk. Before an entry is given up on: a worker that died after a page
 * and before reporting it left the job short of deliveries that were made, and the job's end
 * releases from the backlog only what it believes undelivered.
 */
export async function reportDeliveredSoFar(
  redis: RedisClient,
  entry: FanoutEntry,
  attempt: number,
  config: Pick<FanOutSettings, 'progressIntervalMs' | 'consumerName'>,
): Promise<void> {
  const k = keysOf(redis);
  const reports = await Promise.all(
    entry.chunks.map(async (chunk) => {
      const [delivered, skipped] = await redis.hmGet(k.cursor(chunk.bucket, entry.job), [
        cursorField.delivered(chunkId(chunk)),
        cursorField.skipped(chunkId(chunk)),
      ]);
      return { chunk, delivered: Number(delivered ?? 0), complete: false, skipped: Number(skipped ?? 0) };
    }),
  );
  await reportChunks(redis, {
    jobId: entry.job,
    tweetSeq: entry.tweet,
    tweetId: tweetIdFromSeq(entry.tweet),
    authorId: entry.author,
    attempt,
    progressIntervalMs: config.progressIntervalMs,
    worker: config.consumerName ?? '',
    runStartedAt: 0,
    reports,
  });
}
