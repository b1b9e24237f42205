import type { LuaRecord } from './lua-record.js';

/**
 * Field names of the tweet hash (`keys.tweet(seq)`), written by admit-tweet.lua; a scheduled
 * tweet's `publishAt` is taken off by publish-scheduled.lua when it is published.
 */
export const tweetField = {
  id: 'id',
  text: 'text',
  authorId: 'authorId',
  authorHandle: 'authorHandle',
  /** ms; for a scheduled tweet, the time it is published at. */
  createdAt: 'createdAt',
  /** ms; present only while the tweet waits to be published: it is invisible to all but its author. */
  publishAt: 'publishAt',
  /** The id of a scheduled tweet's post job, which its publishing enqueues; absent on other tweets. */
  job: 'job',
} as const;

/** The tweet record for Lua: `TWEET.<name>`. */
export const tweetRecordLua: LuaRecord = { include: 'tweet-record', table: 'TWEET', fields: tweetField, prefixed: {} };
