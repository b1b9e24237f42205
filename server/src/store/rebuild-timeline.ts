import { firstTweetSeqAt, tweetField } from '@ripple/shared';
import { defineLuaScript, keysOf, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';
import { followedOnReadAuthors } from './tweets.js';

export const markActiveScript = defineLuaScript({
  url: new URL('../lua/mark-active.lua', import.meta.url),
  keys: ['lastActive', 'pending'],
  args: ['userId', 'nowMs', 'inactiveBeforeMs', 'pendingTtlS'],
  /** The mark the user's pending rebuild starts from (ms), or null when none is pending. */
  reply: z.string().nullable(),
});

export const rebuildTimelineScript = defineLuaScript({
  url: new URL('../lua/rebuild-timeline.lua', import.meta.url),
  keys: ['timeline', 'pending'],
  args: ['timelineMax'],
  rest: 'tweetIds',
  /** The timeline's length afterwards. */
  reply: z.number(),
});

/**
 * Marks a user active at `nowMs`, a mark below `inactiveBeforeMs` having been inactive. While a
 * rebuild of their timeline is pending, whichever node started it, returns the mark it starts
 * from: the caller rebuilds before answering. The only caller of mark-active.lua.
 */
export async function markActivity(redis: RedisClient, userId: string, nowMs: number, inactiveBeforeMs: number, pendingTtlS: number): Promise<number | null> {
  const k = keysOf(redis);
  const pending = await markActiveScript.run(
    redis,
    { lastActive: k.lastActive(k.layout.bucketOf(userId)), pending: k.rebuildPending(userId) },
    { userId, nowMs, inactiveBeforeMs, pendingTtlS },
  );
  return pending === null ? null : Number(pending);
}

/**
 * Rebuilds a returning user's home timeline, as Mastodon regenerates a feed, from the tweets
 * posted since `sinceMs` by the accounts they follow, of those they followed at posting (as
 * delivery would have: a follower scored up to the tweet's follow sequence); merged with what
 * the timeline holds, newest TIMELINE_MAX kept. Tweets older than `sinceMs` were written while the
 * user was active, or trimmed since: neither comes back. Accounts whose tweets go out on read are
 * left out: reads merge those by the follows of the moment (tweets.ts), and writing them here
 * would keep them after an unfollow. Deletes the pending rebuild. The only caller of
 * rebuild-timeline.lua.
 */
export async function rebuildTimeline(redis: RedisClient, userId: string, timelineMax: number, sinceMs: number): Promise<number> {
  const k = keysOf(redis);
  const bucket = k.layout.bucketOf(userId);
  const [following, onRead] = await Promise.all([redis.sMembers(k.following(userId)), followedOnReadAuthors(redis, userId)]);
  const written = following.filter((id) => !onRead.includes(id));
  const since = firstTweetSeqAt(sinceMs, k.layout.buckets);
  const [followedAt, recent] = await Promise.all([
    Promise.all(written.map((id) => redis.zScore(k.followers(bucket, id), userId))),
    Promise.all(written.map((id) => redis.zRange(k.userTweets(id), '+inf', since, { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: timelineMax } }))),
  ]);
  const candidates = written.flatMap((_, i) => recent[i]!.map((seq) => ({ seq: Number(seq), followedAt: followedAt[i] }))).sort((a, b) => b.seq - a.seq);
  // Newest first, TIMELINE_MAX at a time until that many are kept: one read per tweet in the
  // common case, where all were followed at posting.
  const kept: string[] = [];
  for (let from = 0; from < candidates.length && kept.length < timelineMax;) {
    const batch = candidates.slice(from, from + timelineMax - kept.length);
    from += batch.length;
    const followSeqs = await Promise.all(batch.map((c) => redis.hGet(k.tweet(c.seq), tweetField.followSeq)));
    batch.forEach((c, i) => {
      const followSeq = followSeqs[i];
      if (c.followedAt != null && followSeq != null && c.followedAt <= Number(followSeq)) kept.push(c.seq.toFixed(0));
    });
  }
  return rebuildTimelineScript.run(redis, { timeline: k.timeline(userId), pending: k.rebuildPending(userId) }, { timelineMax, tweetIds: kept });
}
