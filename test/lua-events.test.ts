import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventEntryField, fanoutEntryField, fanoutEntrySchema, serverEventSchemas, userField, type ServerEventName } from '@ripple/shared';
import { fanOutEntry, keysOf, type RedisClient } from '@ripple/shared/node';
import { admitTweet, type AdmitResult } from '../server/src/store/admit-tweet.js';
import { fixedWindow } from '../server/src/rate-limit.js';
import { deleteTweet } from '../server/src/store/delete-tweet.js';
import { follow } from '../server/src/store/follows.js';
import { readWorkerConfig } from '../worker/src/config.js';
import { publishScheduledTweet } from '../worker/src/publish-scheduled.js';
import { giveUpChunk, promoteDueRetries, scheduleRetry } from '../worker/src/retries.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient } from './support/ripple.js';

let redisServer: RedisUnderTestHandle;
let redis: RedisClient;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  redis = await connectedClient(redisServer.target);
});
afterAll(async () => {
  await redis?.close();
  await redisServer?.stop();
});

const AUTHOR = '1';
const ONLINE_FOLLOWER = '2';
const OFFLINE_FOLLOWER = '3';
const LONELY_AUTHOR = '4';

/** One page per follower and a progress event for every report: every event a script can publish. */
const config = { ...readWorkerConfig({}), pageSize: 1, progressIntervalMs: 0 };
const unbounded = { fanoutMaxBacklog: 1e9, fanoutSmallAudience: 1e9, fanoutMaxSmallBacklog: 1e9, fanoutMaxAuthorBacklog: 1e9, fanoutOnReadThreshold: 0 };

async function post(authorId: string, text: string, publishAt?: number) {
  const admitted: AdmitResult = await admitTweet(redis, {
    authorId,
    text,
    publishAt,
    idempotencyKey: undefined,
    bounds: unbounded,
    timelineMax: 10,
    chunkSize: 1000,
    otherBacklog: { small: 0, big: 0 },
    postingLimit: { limit: 1e9, window: fixedWindow(60_000) },
    // Delivered by the worker's fan-out below, not inline.
    inlineMax: 0,
  });
  if (admitted.outcome !== 'new') throw new Error(`not admitted: ${admitted.outcome}`);
  return admitted.job;
}

/** The fan-out entry admission wrote for `jobId`, as a worker reads it. */
async function entryOf(jobId: string) {
  const k = keysOf(redis);
  const lanes = k.layout.all.flatMap((b) => Object.values(k.fanoutLanes(b)));
  const read = await Promise.all(lanes.map(async (lane) => ({ lane, found: (await redis.xRange(lane, '-', '+')) ?? [] })));
  const entries = read.flatMap(({ lane, found }) => found.flatMap((e) => (e ? [{ lane, ...e }] : [])));
  const held = entries.find((e) => e.message[fanoutEntryField.job] === jobId);
  if (!held) throw new Error(`no entry for job ${jobId}`);
  return { ...held, entry: fanoutEntrySchema.parse(held.message) };
}

/** Every entry of every events stream, as the event relay reads them. */
async function eventEntries(): Promise<Record<string, string>[]> {
  const k = keysOf(redis);
  const streams = await Promise.all(k.layout.all.map((b) => redis.xRange(k.eventsStream(b), '-', '+')));
  return streams.flat().flatMap((e) => (e ? [e.message] : []));
}

describe('events the Lua scripts publish', () => {
  it('each fit the schema in shared/src/events.ts, through admission, delivery, deletion, retry and give-up', async () => {
    const k = keysOf(redis);
    for (const [id, handle] of [
      [AUTHOR, 'author'],
      [LONELY_AUTHOR, 'lonely'],
    ] as const)
      await redis.hSet(k.user(id), { [userField.id]: id, [userField.handle]: handle });
    await follow(redis, ONLINE_FOLLOWER, AUTHOR);
    await follow(redis, OFFLINE_FOLLOWER, AUTHOR);
    await redis.zAdd(k.online(k.layout.bucketOf(ONLINE_FOLLOWER)), { score: Date.now() + 60_000, value: ONLINE_FOLLOWER });

    // A tweet nobody follows is done at admission (admit-tweet.lua).
    await post(LONELY_AUTHOR, 'to nobody');
    // Delivered page by page (deliver-page.lua), reported (report-chunks.lua).
    const delivered = await entryOf((await post(AUTHOR, 'to two')).id);
    const outcome = await fanOutEntry(redis, config, delivered.entry, { attempt: 1, shouldStop: () => false, afterPage: async () => {} });
    expect(outcome).toEqual({ state: 'complete', delivered: 2 });
    // Deleted (delete-tweet.lua), and taken back out page by page (delete-page.lua).
    const deleted = await deleteTweet(redis, { callerId: AUTHOR, tweetSeq: delivered.entry.tweet, chunkSize: 1000, smallAudience: 1e9 });
    if (deleted.outcome !== 'deleted') throw new Error(`not deleted: ${deleted.outcome}`);
    const removal = await entryOf(deleted.job.id);
    const removed = await fanOutEntry(redis, config, removal.entry, { attempt: 1, shouldStop: () => false, afterPage: async () => {} });
    expect(removed).toEqual({ state: 'complete', delivered: 2 });
    // Retried (promote-retries.lua puts it back), then given up on (give-up-chunk.lua).
    const failing = await entryOf((await post(AUTHOR, 'to be given up')).id);
    const from = { bucket: k.layout.bucketOf(AUTHOR), lane: failing.lane.endsWith('bulk') ? 'bulk' : 'small' } as const;
    await scheduleRetry(redis, from, failing.id, failing.message, 2, 0, { worker: 'test-worker', error: 'boom' });
    // The retry is this job's first journey step: the list it creates still expires (no list outlives its job for long).
    expect(await redis.ttl(k.journey(failing.entry.job))).toBeGreaterThan(0);
    expect(await promoteDueRetries(redis, from.bucket, Date.now() + 1000)).toBe(1);
    const retried = await entryOf(failing.entry.job);
    expect(retried.entry.attempt).toBe('2');
    const failedNow = await giveUpChunk(redis, {
      from,
      entryId: retried.id,
      chunksField: retried.message[fanoutEntryField.chunks]!,
      entry: retried.entry,
      attempts: 2,
      error: 'delivery failed after 2 attempts: test',
    });
    expect(failedNow).toBe(true);
    // Scheduled, then published (publish-scheduled.lua), brought forward so as not to wait 5 s.
    const scheduled = await post(AUTHOR, 'later', Date.now() + 60_000);
    const seq = String(Number(scheduled.tweetId));
    await redis.zAdd(k.publishSchedule(k.layout.bucketOf(seq)), { score: 0, value: seq }, { XX: true });
    expect(await publishScheduledTweet(redis, seq, 10)).toBe('published');

    const entries = await eventEntries();
    const names = entries.map((e) => e[eventEntryField.event]);
    expect(new Set(names)).toEqual(new Set(Object.keys(serverEventSchemas)));
    for (const fields of entries) {
      const name = fields[eventEntryField.event] as ServerEventName;
      expect(fields[eventEntryField.to], name).toMatch(/^[0-9]+(,[0-9]+)*$/);
      const parsed = serverEventSchemas[name].strict().safeParse(JSON.parse(fields[eventEntryField.payload]!));
      expect(parsed.error?.issues, `${name} ${fields[eventEntryField.payload]}`).toBeUndefined();
    }
  });
});
