import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audienceField,
  cursorField,
  deadLetterField,
  eventEntryField,
  fanoutDurationsField,
  fanoutEntryField,
  jobField,
  journeyStepField,
  luaRecords,
  retryField,
  statsField,
  tweetField,
  userField,
} from '@ripple/shared';
import { expandLuaIncludes, type RedisClient } from '@ripple/shared/node';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { connectedClient } from './support/ripple.js';

let redisServer: TestRedis;
let redis: RedisClient;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = await connectedClient(redisServer.url);
});
afterAll(async () => {
  await redis?.close();
  await redisServer?.stop();
});

/** Runs `body` after the include, in Redis's own Lua, and decodes what it returns as JSON. */
async function inLua(include: string, body: string): Promise<unknown> {
  const reply = await redis.eval(expandLuaIncludes(`--- @include "${include}"\n${body}`, 'lua-records.test'), { keys: [], arguments: [] });
  if (typeof reply !== 'string') throw new Error(`the Lua body returned ${typeof reply}, not a JSON string`);
  return JSON.parse(reply);
}

describe('record includes, as Redis runs them', () => {
  it('name every field exactly as the TypeScript records do', async () => {
    const { reported, finished, attempt, skippedIn, ...jobFixed } = jobField;
    const { refused, delivery, ...statsFixed } = statsField;
    const { bucket, ...durationsFixed } = fanoutDurationsField;
    expect(await inLua('job-record', 'return cjson.encode(JOB)')).toEqual(jobFixed);
    expect(await inLua('stats-record', 'return cjson.encode(STATS)')).toEqual(statsFixed);
    expect(await inLua('tweet-record', 'return cjson.encode(TWEET)')).toEqual(tweetField);
    expect(await inLua('user-record', 'return cjson.encode(USER)')).toEqual(userField);
    expect(await inLua('fanout-durations-record', 'return cjson.encode(DURATIONS)')).toEqual(durationsFixed);
    expect(await inLua('fanout-entry-record', 'return cjson.encode(ENTRY)')).toEqual({ ...fanoutEntryField, ...retryField, ...deadLetterField });
    expect(await inLua('event-entry-record', 'return cjson.encode(EVENT)')).toEqual(eventEntryField);
    expect(await inLua('journey-record', 'return cjson.encode(STEP)')).toEqual(journeyStepField);
    expect(
      await inLua('job-record', "return cjson.encode({jobReportedField('1:7'), jobFinishedField('1:7'), jobAttemptField('1:7'), jobSkippedField('1:7')})"),
    ).toEqual([reported('1:7'), finished('1:7'), attempt('1:7'), skippedIn('1:7')]);
    expect(await inLua('cursor-record', "return cjson.encode({cursorField('1:7'), cursorDeliveredField('1:7')})")).toEqual([
      cursorField.cursor('1:7'),
      cursorField.delivered('1:7'),
    ]);
    expect(await inLua('audience-record', 'return cjson.encode(AUDIENCE)')).toEqual({ seq: audienceField.seq });
    expect(await inLua('audience-record', "return cjson.encode({audienceCountField('3'), audienceVersionField('3')})")).toEqual([
      audienceField.count(3),
      audienceField.version(3),
    ]);
    expect(await inLua('stats-record', "return cjson.encode({statsRefusedField('overloaded'), statsDeliveryField('inline')})")).toEqual([
      refused('overloaded'),
      delivery('inline'),
    ]);
    expect(await inLua('fanout-durations-record', "return cjson.encode({durationsBucketField('250')})")).toEqual([bucket(250)]);
  });

  it.each(luaRecords)('fail a script that names a field $table lacks, naming the record', async (record) => {
    await expect(inLua(record.include, `return ${record.table}.noSuchField`)).rejects.toThrow(`${record.include} has no field noSuchField`);
  });
});
