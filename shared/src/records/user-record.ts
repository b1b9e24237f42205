import type { LuaRecord } from './lua-record.js';

/** Field names of the user hash (`keys.user(id)`); admit-tweet.lua reads the handle. */
export const userField = {
  id: 'id',
  handle: 'handle',
  /** The scrypt password hash. */
  pass: 'pass',
  createdAt: 'createdAt',
  /** Synthetic followers asked for in all (demo), held against RIPPLE_DEMO_MAX_FOLLOWERS. */
  syntheticFollowers: 'syntheticFollowers',
} as const;

/** The user record for Lua: `USER.<name>`. */
export const userRecordLua: LuaRecord = { include: 'user-record', table: 'USER', fields: userField, prefixed: {} };
