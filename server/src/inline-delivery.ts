import { setTimeout as delay } from 'node:timers/promises';
import type { FanoutEntry, Job } from '@ripple/shared';
import { fanOutEntry, type Logger, type RedisClient } from '@ripple/shared/node';
import { getJob } from './store/tweets.js';

/**
 * How long after admission the workers take over an inline delivery its server has not finished
 * (a server that died, or hangs): its entry is due on the retry schedule then. Far above what an
 * inline delivery takes (milliseconds: README, "Inline delivery"), so a live server is not raced
 * for nothing; short enough that a follower of a crashed server's author waits seconds, not more.
 */
export const INLINE_TAKEOVER_MS = 3_000;

/**
 * Outstanding deliveries of small tweets at which Redis counts as busy and a tweet goes to the
 * queue even when its audience could go inline: with a backlog, workers are writing timelines
 * already, and a request adding its own writes would wait behind theirs while holding a
 * connection. Ten thousand is about a tenth of a second of the workers' work (README, "Inline
 * delivery"): below it the queue is as good as empty.
 */
export const INLINE_BUSY_BACKLOG = 10_000;

/**
 * How long a request waits for its inline delivery before answering 202 with the job as it
 * stands (still queued or running, its delivery "inline"): the delivery goes on meanwhile, and
 * the workers take it over at INLINE_TAKEOVER_MS if it does not end. Well under the contract's
 * 10 s for any answer, even on a Redis that has stopped answering.
 */
const INLINE_WAIT_MS = 500;

/**
 * The most FANOUT_INLINE_MAX may be: a page per bucket at the default FANOUT_PAGE_SIZE. Past it
 * a request would wait for round trip after round trip, where queueing answers at once.
 */
export const INLINE_MAX_LIMIT = 1_000;

/** Inline audiences are small, a page or a few per bucket: progress needs no events of its own. */
const INLINE_PROGRESS_INTERVAL_MS = 250;

export interface InlineDeliveryDeps {
  redis: RedisClient;
  timelineMax: number;
  /** FANOUT_PAGE_SIZE. */
  pageSize: number;
  /** INACTIVE_AFTER_DAYS: the followers a page leaves out, as a worker's would. */
  inactiveAfterDays: number;
  log: Logger;
}

/**
 * Delivers an inline job's entry inside the request, with the very pages and report a worker
 * runs (shared/src/node/fan-out): a page per bucket of followers, each resuming from its cursor,
 * then the report that ends the job, publishes fanout:done and takes the entry off the retry
 * schedule, all in one step. Answers the job as it then is: done, unless the wait ran out or
 * Redis failed, when it is answered as admitted and the workers finish it (admit-tweet.lua).
 */
export async function deliverInline(deps: InlineDeliveryDeps, entry: FanoutEntry, admitted: Job): Promise<Job> {
  const { redis, log } = deps;
  const run = fanOutEntry(
    redis,
    {
      pageSize: deps.pageSize,
      timelineMax: deps.timelineMax,
      progressIntervalMs: INLINE_PROGRESS_INTERVAL_MS,
      inactiveAfterDays: deps.inactiveAfterDays,
      consumerName: null,
    },
    entry,
    {
      attempt: 1,
      shouldStop: () => false,
      afterPage: async () => {},
    },
  ).then(
    () => true,
    (err: unknown) => {
      log.warn({ err: String(err), job: entry.job }, 'inline delivery failed; the workers take it over');
      return false;
    },
  );
  const wait = new AbortController();
  const finished = await Promise.race([run, delay(INLINE_WAIT_MS, false, { signal: wait.signal }).catch(() => false)]);
  wait.abort();
  if (!finished) return admitted;
  return (await getJob(redis, entry.job).catch(() => null))?.job ?? admitted;
}
