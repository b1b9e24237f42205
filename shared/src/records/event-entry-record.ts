import type { LuaRecord } from './lua-record.js';

/**
 * Field names of an events stream entry (`keys.eventsStream(bucket)`): written by the scripts
 * whose change the event reports, in the same step, and relayed to sockets by the server's
 * event relay. The payload's shape is the event's schema in events.ts.
 */
export const eventEntryField = {
  /** The event's name, a key of `serverEventSchemas`. */
  event: 'event',
  /** Recipient user ids, comma-separated. */
  to: 'to',
  /** The payload as JSON. */
  payload: 'payload',
  /**
   * Instead of `to`, for tweets that travel on read (no page ever lists their followers): the
   * author id and follow sequence, "<authorId>:<followSeq>". Each server node sends the event to
   * those of its own connected users who follow the author with a score up to followSeq.
   */
  followersOf: 'followersOf',
  /** Instead of `payload`, for timeline:new: the tweet id as stored, read by the relay into {tweet}. */
  tweet: 'tweet',
} as const;

/** The event entry for Lua: `EVENT.<name>`. */
export const eventEntryRecordLua: LuaRecord = { include: 'event-entry-record', table: 'EVENT', fields: eventEntryField, prefixed: {} };
