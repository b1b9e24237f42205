import { tweetField } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { mapWithLimit } from '../loadtest/crowd.js';
import type { RippleClient } from '../loadtest/ripple-client.js';
import type { Ledger } from './ledger.js';
import type { PostRecord } from './poster.js';
import type { BookkeepingReading } from './samplers.js';
import type { SoakAuthor } from './soak-crowd.js';
import { tallyOnce, totalTallies, type OnceTally } from './tally.js';

/** One line of the verdict. */
export interface CheckResult {
  name: string;
  passed: boolean;
  /** The numbers behind the verdict, in one line. */
  summary: string;
  /** Where to start looking when it failed. */
  details?: string[];
}

/** API reads at once during the checks. */
export const CHECK_CONCURRENCY = 16;
/** Page size of the paged API reads (the API's maximum). */
const PAGE = 100;

/** Redis reads at once in `inBatches`: each batch goes out pipelined, in one round trip. */
const REDIS_BATCH = 1000;

/**
 * `read` of every item, `REDIS_BATCH` at a time, in order. One command each rather than one
 * MULTI: the keys read belong to different buckets, which on a Redis Cluster share no slot.
 */
export async function inBatches<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const all: R[] = [];
  for (let i = 0; i < items.length; i += REDIS_BATCH) all.push(...(await Promise.all(items.slice(i, i + REDIS_BATCH).map(read))));
  return all;
}

/** Every page of a paged API read, newest first. */
export async function readAllPages(
  read: (page: { limit: number; before?: string }) => Promise<{ tweets: { id: string }[]; nextBefore: string | null }>,
): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await read(before === undefined ? { limit: PAGE } : { limit: PAGE, before });
    ids.push(...page.tweets.map((t) => t.id));
    if (page.nextBefore === null) return ids;
    before = page.nextBefore;
  }
}

/** Every tweet the soak meant to post was answered 202, in the end (retries and the resend included). */
export function checkPostsAnswered(records: readonly PostRecord[]): CheckResult {
  const unanswered = records.filter((r) => r.state !== 'accepted');
  const resent = records.filter((r) => r.resent).length;
  return {
    name: 'every post answered 202',
    passed: unanswered.length === 0,
    summary: `${records.length - unanswered.length} of ${records.length} accepted; ${resent} resent with the same key after 8 tries gave up`,
    details: unanswered.slice(0, 5).map((r) => `${r.key}: ${r.error}`),
  };
}

/**
 * Every accepted tweet is stored exactly once: two keys never answered with one tweet; each
 * author's own tweets, read from Redis and through the API, are exactly the accepted ones; and
 * each stored tweet carries the text it was posted with.
 */
export async function checkTweetsStoredOnce(
  redis: RedisClient,
  clientOf: (author: SoakAuthor) => RippleClient,
  authors: readonly SoakAuthor[],
  ledger: Ledger,
): Promise<CheckResult> {
  const k = keysOf(redis);
  const details: string[] = [];
  const keysByTweet = new Map<string, string[]>();
  for (const t of ledger.accepted) keysByTweet.set(t.tweetId, [...(keysByTweet.get(t.tweetId) ?? []), t.key]);
  const shared = [...keysByTweet].filter(([, keys]) => keys.length > 1);
  for (const [id, keys] of shared.slice(0, 3)) details.push(`tweet ${id} answered ${keys.length} different keys: ${keys.join(', ')}`);

  const fromRedis = new Map<string, OnceTally>();
  const fromApi = new Map<string, OnceTally>();
  await mapWithLimit(authors, CHECK_CONCURRENCY, async (author) => {
    const mine = ledger.byAuthor.get(author.id) ?? [];
    const stored = await redis.zRange(k.userTweets(author.id), 0, -1);
    fromRedis.set(
      author.handle,
      tallyOnce(
        mine.map((t) => t.seq),
        stored,
      ),
    );
    const listed = await readAllPages((page) => clientOf(author).userTweets(author.token, author.handle, page));
    fromApi.set(
      author.handle,
      tallyOnce(
        mine.map((t) => t.tweetId),
        listed,
      ),
    );
  });

  const stored = await inBatches(ledger.accepted, (t) => redis.hmGet(k.tweet(t.seq), [tweetField.text, tweetField.authorId]));
  const wrongText = ledger.accepted.filter((t, i) => stored[i]?.[0] !== t.text || stored[i]?.[1] !== t.author.id);
  for (const t of wrongText.slice(0, 3)) details.push(`tweet ${t.tweetId} (${t.key}) is stored as ${JSON.stringify(stored[ledger.accepted.indexOf(t)])}`);

  const redisTotals = totalTallies(fromRedis);
  const apiTotals = totalTallies(fromApi);
  if (redisTotals.example) details.push(`Redis: ${redisTotals.example}`);
  if (apiTotals.example) details.push(`API: ${apiTotals.example}`);
  const bad = (t: typeof redisTotals) => t.missing + t.doubled + t.unexpected;
  return {
    name: 'every accepted tweet stored once',
    passed: shared.length === 0 && wrongText.length === 0 && bad(redisTotals) === 0 && bad(apiTotals) === 0,
    summary:
      `${ledger.accepted.length} tweets of ${authors.length} authors; Redis: ${redisTotals.missing} missing, ${redisTotals.unexpected} extra; ` +
      `API: ${apiTotals.missing} missing, ${apiTotals.doubled} twice, ${apiTotals.unexpected} extra; ${wrongText.length} with the wrong text`,
    details,
  };
}

/**
 * Every job, read through the API by its author, is `done` with delivered = total, and total
 * is the author's followers at posting (they never change after setup).
 */
export async function checkJobsDone(clientOf: (author: SoakAuthor) => RippleClient, ledger: Ledger): Promise<CheckResult> {
  const wrong: string[] = [];
  let mostAttempts = 0;
  const statuses: Record<string, number> = {};
  await mapWithLimit(ledger.accepted, CHECK_CONCURRENCY, async (t) => {
    const job = await clientOf(t.author).job(t.author.token, t.jobId);
    statuses[job.status] = (statuses[job.status] ?? 0) + 1;
    mostAttempts = Math.max(mostAttempts, job.attempts);
    const followers = t.author.synthetic + t.author.real;
    if (job.status !== 'done' || job.delivered !== job.total || job.total !== followers || job.tweetId !== t.tweetId) {
      wrong.push(
        `job ${job.id} of ${t.author.handle}: ${job.status}, ${job.delivered}/${job.total} delivered, ${followers} followers, tweet ${job.tweetId}${job.error ? `, error ${job.error}` : ''}`,
      );
    }
  });
  return {
    name: 'every job done, delivered = total',
    passed: wrong.length === 0,
    summary: `${ledger.accepted.length} jobs: ${Object.entries(statuses)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}; ${wrong.length} wrong; most attempts of a chunk ${mostAttempts}`,
    details: wrong.slice(0, 5),
  };
}

/** Nothing outstanding: no backlog, empty lanes, nothing pending, no retries, no dead letters. */
export function checkQueuesDrained(final: BookkeepingReading | null): CheckResult {
  if (!final) return { name: 'queues drained', passed: false, summary: 'Redis could not be read at the end' };
  const { backlog, laneEntries, pending, retries, deadLetters } = final;
  return {
    name: 'queues drained',
    passed: backlog === 0 && laneEntries === 0 && pending === 0 && retries === 0 && deadLetters === 0,
    summary: `backlog ${backlog}, lane entries ${laneEntries}, pending ${pending}, retries ${retries}, dead letters ${deadLetters}`,
  };
}
