import { defineLuaScript, keysOf, type RedisClient } from '@ripple/shared/node';
import { z } from 'zod';
import { followedOnReadAuthors } from './tweets.js';

export const rebuildTimelineScript = defineLuaScript({
  url: new URL('../lua/rebuild-timeline.lua', import.meta.url),
  keys: ['timeline'],
  args: ['timelineMax'],
  rest: 'tweetIds',
  /** The timeline's length afterwards. */
  reply: z.number(),
});

/**
 * Rebuilds a returning user's home timeline from the accounts they follow, as Mastodon
 * regenerates a feed: the newest TIMELINE_MAX of each followed account's own tweets, merged
 * with what the timeline holds, newest TIMELINE_MAX kept. Accounts whose tweets go out on read
 * are left out: reads merge those by the follows of the moment (tweets.ts), and writing them here
 * would keep them after an unfollow. The only caller of rebuild-timeline.lua.
 */
export async function rebuildTimeline(redis: RedisClient, userId: string, timelineMax: number): Promise<number> {
  const k = keysOf(redis);
  const [following, onRead] = await Promise.all([redis.sMembers(k.following(userId)), followedOnReadAuthors(redis, userId)]);
  const written = following.filter((id) => !onRead.includes(id));
  const recent = await Promise.all(written.map((id) => redis.zRange(k.userTweets(id), 0, timelineMax - 1, { REV: true })));
  const newest = recent
    .flat()
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, timelineMax)
    .map((seq) => seq.toFixed(0));
  return rebuildTimelineScript.run(redis, { timeline: k.timeline(userId) }, { timelineMax, tweetIds: newest });
}
