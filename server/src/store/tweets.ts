import { jobField, seqFromTweetId, tweetIdFromSeq, tweetView, jobView, type Job, type PageQuery, type Tweet, type TweetPage } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';

export async function getTweet(redis: RedisClient, seq: string | number): Promise<Tweet | null> {
  return tweetView(await redis.hGetAll(keysOf(redis).tweet(seq)));
}

/** A job and the id of its author (who alone may read it); null when there is no such job. */
export async function getJob(redis: RedisClient, id: string): Promise<{ job: Job; authorId: string } | null> {
  const stored = await redis.hGetAll(keysOf(redis).job(id));
  const job = jobView(stored);
  return job ? { job, authorId: stored[jobField.authorId] ?? '' } : null;
}

async function pageOf(redis: RedisClient, newestFirst: string[], query: PageQuery): Promise<TweetPage> {
  const more = newestFirst.length > query.limit;
  const page = newestFirst.slice(0, query.limit);
  const tweets = (await Promise.all(page.map((seq) => getTweet(redis, seq)))).filter((t): t is Tweet => t !== null);
  const last = page[page.length - 1];
  return { tweets, nextBefore: more && last ? tweetIdFromSeq(last) : null };
}

/** One page of a user's own tweets (a sorted set of sequence numbers), newest first, older than `before`. */
export async function readUserTweets(redis: RedisClient, userId: string, query: PageQuery): Promise<TweetPage> {
  const max = query.before ? `(${seqFromTweetId(query.before)}` : '+inf';
  const seqs = await redis.zRange(keysOf(redis).userTweets(userId), max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: query.limit + 1 } });
  return pageOf(redis, seqs, query);
}

/**
 * The accounts `userId` follows now whose tweets went out on read (FANOUT_ON_READ_THRESHOLD).
 * Every bucket's set of such authors (few: only accounts past the threshold) is read, one small
 * SMEMBERS each, and checked against the reader's following set with one SMISMEMBER: the
 * reader's follows are never listed, and nothing is kept per follower, so an author crossing
 * the threshold costs no write per follower.
 */
export async function followedOnReadAuthors(redis: RedisClient, userId: string): Promise<string[]> {
  const k = keysOf(redis);
  const authors = (await Promise.all(k.layout.all.map((b) => redis.sMembers(k.onReadAuthors(b))))).flat().filter((id) => id !== userId);
  if (authors.length === 0) return [];
  const following = await redis.smIsMember(k.following(userId), authors);
  return authors.filter((_, i) => following[i]);
}

/**
 * One page of a home timeline, newest first, older than `before`. The timeline is a list in
 * delivery order, which concurrent fan-outs can leave slightly out of id order, and lazy
 * trimming lets it run a little past TIMELINE_MAX; so the whole list (at most ~900 small
 * integers) is read, sorted by id, and cut to the newest TIMELINE_MAX.
 *
 * Merged into it, by id: the newest tweets before `before` of each account followed now whose
 * tweets go out on read, a page's worth of each (their own tweets, read as a profile is), so the
 * merged page is exact whatever their mix. A tweet written to the timeline before its author
 * crossed the threshold is in both, and shown once. Unfollowing such an account takes its
 * tweets out of the next read; the written ones of its past stay, like any account's.
 */
export async function readHomeTimeline(redis: RedisClient, userId: string, query: PageQuery, timelineMax: number): Promise<TweetPage> {
  const k = keysOf(redis);
  const before = query.before ? seqFromTweetId(query.before) : Number.POSITIVE_INFINITY;
  const [written, onReadAuthors] = await Promise.all([redis.lRange(k.timeline(userId), 0, -1), followedOnReadAuthors(redis, userId)]);
  const max = query.before ? `(${seqFromTweetId(query.before)}` : '+inf';
  const merged = await Promise.all(
    onReadAuthors.map((author) => redis.zRange(k.userTweets(author), max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: query.limit + 1 } })),
  );
  const seqs = new Set(
    written
      .map(Number)
      .sort((a, b) => b - a)
      .slice(0, timelineMax)
      .filter((seq) => seq < before),
  );
  for (const seq of merged.flat()) seqs.add(Number(seq));
  const newestFirst = [...seqs].sort((a, b) => b - a).map((seq) => seq.toFixed(0));
  return pageOf(redis, newestFirst, query);
}
