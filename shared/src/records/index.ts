import { audienceRecordLua } from './audience-record.js';
import { cursorRecordLua } from './cursor-record.js';
import { eventEntryRecordLua } from './event-entry-record.js';
import { fanoutDurationsRecordLua } from './fanout-durations-record.js';
import { fanoutEntryRecordLua } from './fanout-entry-record.js';
import { jobRecordLua } from './job-record.js';
import { journeyRecordLua } from './journey-record.js';
import type { LuaRecord } from './lua-record.js';
import { statsRecordLua } from './stats-record.js';
import { tweetRecordLua } from './tweet-record.js';
import { userRecordLua } from './user-record.js';

export { jobField, jobAttempts } from './job-record.js';
export { JOURNEY_MAX_STEPS, JOURNEY_STEP_KINDS, journeyStepField, type JourneyStepKind } from './journey-record.js';
export { audienceField, audienceTotal } from './audience-record.js';
export { cursorField } from './cursor-record.js';
export { tweetField } from './tweet-record.js';
export { userField } from './user-record.js';
export { REFUSAL_REASONS, statsField, type RefusalReason } from './stats-record.js';
export { fanoutDurationsField } from './fanout-durations-record.js';
export { deadLetterField, fanoutEntryField, retryField } from './fanout-entry-record.js';
export { eventEntryField } from './event-entry-record.js';
export { luaRecordSource, type LuaRecord } from './lua-record.js';

/** Every record a Lua script can include, by include name. */
export const luaRecords: readonly LuaRecord[] = [
  jobRecordLua,
  journeyRecordLua,
  cursorRecordLua,
  audienceRecordLua,
  tweetRecordLua,
  userRecordLua,
  statsRecordLua,
  fanoutDurationsRecordLua,
  fanoutEntryRecordLua,
  eventEntryRecordLua,
];
