import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { firstTweetSeqAt, seqFromTweetId, tweetField, type TweetPage } from '@ripple/shared';
import { inactiveBeforeMs, keysOf, type RedisClient } from '@ripple/shared/node';
import { markActivity } from '../server/src/store/rebuild-timeline.js';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { addFollowers, api, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { waitForJob } from './support/jobs.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, startTestServer, startTestWorker } from './support/ripple.js';
import { followerIds } from './support/timelines.js';
import { signUp } from './support/users.js';

const DAY_MS = 24 * 3600 * 1000;

let redisServer: RedisUnderTestHandle;
let redis: RedisClient;
let server: Awaited<ReturnType<typeof startTestServer>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  redis = await connectedClient(redisServer.target);
  server = await startTestServer(redisServer.target, { inactiveAfterDays: 1.5 });
  worker = await startTestWorker(redisServer.target, { inactiveAfterDays: 1.5 });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await worker?.close();
  await server?.close();
  await redis?.close();
  await redisServer?.stop();
});

/** Moves a user's last activity back in time, as if they had been away. */
async function awayFor(userId: string, days: number) {
  const k = keysOf(redis);
  await redis.zAdd(k.lastActive(k.layout.bucketOf(userId)), { score: Date.now() - days * DAY_MS, value: userId });
}

const timelineOf = (userId: string) => redis.lRange(keysOf(redis).timeline(userId), 0, -1);

/**
 * Runs `use` with a server node of its own, which has marked nobody yet: as a node would be
 * for a user back after days away, whichever node served them before.
 */
async function withNode<T>(use: (url: string) => Promise<T>): Promise<T> {
  const node = await startTestServer(redisServer.target, { inactiveAfterDays: 1.5 });
  try {
    return await use(node.url);
  } finally {
    await node.close();
  }
}

const homeTexts = async (url: string, token: string) =>
  ((await request(url).get('/api/timeline').set('Authorization', `Bearer ${token}`).expect(200)).body as TweetPage).tweets.map((t) => t.text);

/** A new user following `author`, then away for 3 days, who missed `text` from them. */
async function returningFollower(handle: string, author: { token: string; user: { handle: string } }, text: string) {
  const user = await signUp(server.url, handle);
  await api(server.url, '/api/follows', { token: user.token, body: { handle: author.user.handle } });
  await awayFor(user.user.id, 3);
  const { job } = await postTweet(server.url, author.token, text);
  expect(await waitForJob(server.url, author.token, job.id, 'done')).toMatchObject({ skipped: 1 });
  return user;
}

describe('skipping timelines nobody reads (INACTIVE_AFTER_DAYS)', () => {
  it('leaves out followers inactive for longer, counting them as skipped; active and synthetic followers are written', async () => {
    const author = await signUp(server.url, 'poster');
    const sleepy = await signUp(server.url, 'sleepy');
    const awake = await signUp(server.url, 'awake');
    const briefly = await signUp(server.url, 'briefly_away');
    for (const f of [sleepy, awake, briefly]) await api(server.url, '/api/follows', { token: f.token, body: { handle: 'poster' } });
    await addFollowers(server.url, author.token, 5);
    await awayFor(sleepy.user.id, 2);
    await awayFor(briefly.user.id, 1);

    const socket = await openSocket(server.url, author.token);
    sockets.push(socket);
    const authorSeen = recordEvents(socket);
    const { tweet, job } = await postTweet(server.url, author.token, 'who is there?');
    expect(job).toMatchObject({ total: 8, skipped: 0 });
    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done).toMatchObject({ delivered: 7, total: 7, skipped: 1 });
    await expect
      .poll(() => authorSeen.find((e) => e.event === 'fanout:done')?.payload, { timeout: 10_000 })
      .toMatchObject({ delivered: 7, total: 7, skipped: 1 });
    const seq = String(seqFromTweetId(tweet.id));
    expect(await timelineOf(sleepy.user.id)).toEqual([]);
    for (const id of await followerIds(redis, author.user.id)) if (id !== sleepy.user.id) expect(await timelineOf(id)).toEqual([seq]);
    expect(await readBacklog(redis)).toBe(0);
  });

  it('marks activity at most once every few minutes per user and node', async () => {
    const user = await signUp(server.url, 'busy_bee');
    const k = keysOf(redis);
    const key = k.lastActive(k.layout.bucketOf(user.user.id));
    expect(Number(await redis.zScore(key, user.user.id))).toBeGreaterThan(Date.now() - 60_000);
    const me = (url: string) => request(url).get('/api/me').set('Authorization', `Bearer ${user.token}`).expect(200);
    await me(server.url);
    await awayFor(user.user.id, 1 / 24);
    const markedAt = await redis.zScore(key, user.user.id);
    // The node that marked the sign-up writes no mark again for a while, however many requests.
    for (let i = 0; i < 3; i++) await me(server.url);
    expect(await redis.zScore(key, user.user.id)).toBe(markedAt);
    const other = await startTestServer(redisServer.target, { inactiveAfterDays: 1.5 });
    try {
      await me(other.url);
    } finally {
      await other.close();
    }
    expect(Number(await redis.zScore(key, user.user.id))).toBeGreaterThan(Date.now() - 60_000);
  });

  it("rebuilds a returning user's timeline from the accounts they follow before their first read answers, then writes to them again", async () => {
    const alice = await signUp(server.url, 'alice_posts');
    const bob = await signUp(server.url, 'bob_posts');
    const returning = await signUp(server.url, 'back_again');
    for (const handle of ['alice_posts', 'bob_posts']) await api(server.url, '/api/follows', { token: returning.token, body: { handle } });
    const early = await postTweet(server.url, alice.token, 'before the trip');
    await waitForJob(server.url, alice.token, early.job.id, 'done');
    await awayFor(returning.user.id, 3);
    for (const [token, text] of [
      [alice.token, 'missed 1'],
      [bob.token, 'missed 2'],
    ] as const) {
      const { job } = await postTweet(server.url, token, text);
      expect(await waitForJob(server.url, token, job.id, 'done')).toMatchObject({ delivered: 0, total: 0, skipped: 1 });
    }
    expect(await timelineOf(returning.user.id)).toEqual([String(seqFromTweetId(early.tweet.id))]);

    // Another node: this one marked the user active at sign-up a moment ago, as a node would
    // have days before, and holds that mark for a few minutes.
    const other = await startTestServer(redisServer.target, { inactiveAfterDays: 1.5 });
    try {
      const page = (await request(other.url).get('/api/timeline').set('Authorization', `Bearer ${returning.token}`).expect(200)).body as TweetPage;
      expect(page.tweets.map((t) => t.text)).toEqual(['missed 2', 'missed 1', 'before the trip']);
    } finally {
      await other.close();
    }
    const next = await postTweet(server.url, bob.token, 'welcome back');
    expect(await waitForJob(server.url, bob.token, next.job.id, 'done')).toMatchObject({ delivered: 1, total: 1, skipped: 0 });
    expect((await timelineOf(returning.user.id))[0]).toBe(String(seqFromTweetId(next.tweet.id)));
  });

  it('answers no request of a returning user from the timeline before its rebuild, on any node, even one that finds the mark fresh', async () => {
    const author = await signUp(server.url, 'race_author');
    const first = await returningFollower('race_first', author, 'missed in the race');
    // A node that has replaced the old mark and not yet rebuilt (still running, or died): the
    // mark is fresh, and another node must still not answer from the old timeline.
    const now = Date.now();
    expect(await markActivity(redis, first.user.id, now, inactiveBeforeMs(1.5, now), 60)).toBeLessThan(now - DAY_MS);
    expect(await timelineOf(first.user.id)).toEqual([]);
    expect(await withNode((url) => homeTexts(url, first.token))).toEqual(['missed in the race']);

    // Both first requests at once, on two nodes.
    const second = await returningFollower('race_second', author, 'missed by both');
    const pages = await withNode((a) => withNode((b) => Promise.all([homeTexts(a, second.token), homeTexts(b, second.token)])));
    expect(pages).toEqual([['missed by both'], ['missed by both']]);
  });

  it('keeps answering a returning user whose rebuild fails, and rebuilds once it can', async () => {
    const author = await signUp(server.url, 'broken_author');
    const user = await returningFollower('broken_timeline', author, 'missed while broken');
    const timeline = keysOf(redis).timeline(user.user.id);
    await redis.set(timeline, 'not a list');
    await withNode(async (url) => {
      await request(url).get('/api/me').set('Authorization', `Bearer ${user.token}`).expect(200);
      await request(url).post('/api/follows').set('Authorization', `Bearer ${user.token}`).send({ handle: 'poster' }).expect(200);
    });
    await redis.del(timeline);
    expect(await withNode((url) => homeTexts(url, user.token))).toEqual(['missed while broken']);
  });

  it('rebuilds only from tweets posted since the user was last active, by accounts they followed at posting', async () => {
    const alice = await signUp(server.url, 'since_alice');
    const bob = await signUp(server.url, 'since_bob');
    const reader = await signUp(server.url, 'since_reader');
    await api(server.url, '/api/follows', { token: reader.token, body: { handle: 'since_alice' } });
    // An old tweet of alice's, long trimmed from the reader's timeline (or never in it): a
    // tweet id from ten days ago, in alice's bucket.
    const k = keysOf(redis);
    const oldSeq = firstTweetSeqAt(Date.now() - 10 * DAY_MS, k.layout.buckets) + k.layout.bucketOf(alice.user.id);
    await redis.hSet(k.tweet(oldSeq), {
      [tweetField.id]: String(oldSeq),
      [tweetField.text]: 'trimmed long ago',
      [tweetField.authorId]: alice.user.id,
      [tweetField.authorHandle]: 'since_alice',
      [tweetField.createdAt]: String(Date.now() - 10 * DAY_MS),
      [tweetField.followSeq]: '1000000',
    });
    await redis.zAdd(k.userTweets(alice.user.id), { score: oldSeq, value: String(oldSeq) });
    const early = await postTweet(server.url, bob.token, 'before you followed');
    await waitForJob(server.url, bob.token, early.job.id, 'done');
    await api(server.url, '/api/follows', { token: reader.token, body: { handle: 'since_bob' } });
    await awayFor(reader.user.id, 3);
    for (const [author, text] of [
      [alice, 'while away 1'],
      [bob, 'while away 2'],
    ] as const) {
      const postedFrom = Date.now();
      const { tweet, job } = await postTweet(server.url, author.token, text);
      // The rebuild's bound reads times off tweet ids as next-id.lua writes them (a second of slack for the clocks).
      expect(seqFromTweetId(tweet.id)).toBeGreaterThanOrEqual(firstTweetSeqAt(postedFrom - 1000, k.layout.buckets));
      expect(seqFromTweetId(tweet.id)).toBeLessThan(firstTweetSeqAt(Date.now() + 1000, k.layout.buckets));
      await waitForJob(server.url, author.token, job.id, 'done');
    }
    expect(await withNode((url) => homeTexts(url, reader.token))).toEqual(['while away 2', 'while away 1']);
  });
});
