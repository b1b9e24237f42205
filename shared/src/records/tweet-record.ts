import type { LuaRecord } from './lua-record.js';

/** Field names of the tweet hash (`keys.tweet(seq)`), written once by admit-tweet.lua. */
export const tweetField = {
  id: 'id',
  text: 'text',
  authorId: 'authorId',
  authorHandle: 'authorHandle',
  createdAt: 'createdAt',
} as const;

/** The tweet record for Lua: `TWEET.<name>`. */
export const tweetRecordLua: LuaRecord = { include: 'tweet-record', table: 'TWEET', fields: tweetField, prefixed: {} };
