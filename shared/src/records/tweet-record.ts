import type { LuaRecord } from './lua-record.js';

/** Field names of the tweet hash (`keys.tweet(seq)`), written by admit-tweet.lua; delete-tweet.lua adds the tombstone. */
export const tweetField = {
  id: 'id',
  text: 'text',
  authorId: 'authorId',
  authorHandle: 'authorHandle',
  createdAt: 'createdAt',
  /** The id of the tweet's post job: a delete stops that job's pages (its cursors are keyed by it). */
  job: 'job',
  /** The author's follow sequence at posting: the post reached followers scored up to it, and so does the delete. */
  followSeq: 'followSeq',
  /** ms; the tombstone: present once the tweet is deleted, and every read treats the tweet as gone. */
  deletedAt: 'deletedAt',
} as const;

/** The tweet record for Lua: `TWEET.<name>`. */
export const tweetRecordLua: LuaRecord = { include: 'tweet-record', table: 'TWEET', fields: tweetField, prefixed: {} };
