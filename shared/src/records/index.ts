import { fanoutDurationsRecordLua } from './fanout-durations-record.js';
import { jobRecordLua } from './job-record.js';
import type { LuaRecord } from './lua-record.js';
import { statsRecordLua } from './stats-record.js';
import { tweetRecordLua } from './tweet-record.js';
import { userRecordLua } from './user-record.js';

export { jobField, jobAttempts } from './job-record.js';
export { tweetField } from './tweet-record.js';
export { userField } from './user-record.js';
export { REFUSAL_REASONS, statsField, type RefusalReason } from './stats-record.js';
export { fanoutDurationsField } from './fanout-durations-record.js';
export { luaRecordSource, type LuaRecord } from './lua-record.js';

/** Every record a Lua script can include, by include name. */
export const luaRecords: readonly LuaRecord[] = [jobRecordLua, tweetRecordLua, userRecordLua, statsRecordLua, fanoutDurationsRecordLua];
