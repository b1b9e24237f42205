import type { LuaRecord } from './lua-record.js';

/**
 * Field names of the tweet hash (`keys.tweet(seq)`), written by admit-tweet.lua; delete-tweet.lua
 * adds the tombstone; a scheduled tweet's `publishAt` is taken off, and its `followSeq` written,
 * by publish-scheduled.lua when it is published.
 */
export const tweetField = {
  id: 'id',
  text: 'text',
  authorId: 'authorId',
  authorHandle: 'authorHandle',
  /** ms; for a scheduled tweet, the time it is published at. */
  createdAt: 'createdAt',
  /**
   * The id of the tweet's post job: a delete stops that job's pages (its cursors are keyed by it),
   * and a scheduled tweet's publishing enqueues it.
   */
  job: 'job',
  /**
   * The author's follow sequence at posting (for a scheduled tweet, at publishing): the post
   * reached followers scored up to it, and so does the delete.
   */
  followSeq: 'followSeq',
  /** ms; the tombstone: present once the tweet is deleted, and every read treats the tweet as gone. */
  deletedAt: 'deletedAt',
  /** ms; present only while the tweet waits to be published: it is invisible to all but its author. */
  publishAt: 'publishAt',
  /**
   * "on-read" on a tweet that went out on read (deliver-on-read): it is in no follower's
   * timeline, so its delete has nothing to take out, even once its post job has expired.
   */
  delivery: 'delivery',
} as const;

/** The tweet record for Lua: `TWEET.<name>`. */
export const tweetRecordLua: LuaRecord = { include: 'tweet-record', table: 'TWEET', fields: tweetField, prefixed: {} };
