import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { seqFromTweetId, type FanoutDone, type Job, type Tweet, type TweetPage } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { addFollowers, api, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { waitForJob } from './support/jobs.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, startTestServer, startTestWorker } from './support/ripple.js';
import { expectNoFollowerHas } from './support/timelines.js';
import { signUp } from './support/users.js';

/** Authors with more followers than this go out on read. */
const THRESHOLD = 3;

let redisServer: RedisUnderTestHandle;
let redis: RedisClient;
let server: Awaited<ReturnType<typeof startTestServer>>;
/** A node with the threshold off, on the same Redis. */
let plain: Awaited<ReturnType<typeof startTestServer>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  redis = await connectedClient(redisServer.target);
  server = await startTestServer(redisServer.target, { fanoutOnReadThreshold: THRESHOLD });
  plain = await startTestServer(redisServer.target);
  worker = await startTestWorker(redisServer.target);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await worker?.close();
  await plain?.close();
  await server?.close();
  await redis?.close();
  await redisServer?.stop();
});

const get = (token: string, path: string) => request(server.url).get(path).set('Authorization', `Bearer ${token}`);
const follow = (token: string, handle: string) => api(server.url, '/api/follows', { token, body: { handle } });

async function socketOf(token: string) {
  const socket = await openSocket(server.url, token);
  sockets.push(socket);
  return socket;
}

/** Every page of the caller's home timeline, `limit` at a time, following nextBefore. */
async function readAllPages(token: string, limit: number): Promise<{ pages: string[][]; texts: string[] }> {
  const pages: string[][] = [];
  let before: string | null = null;
  do {
    const query: string = `/api/timeline?limit=${limit}${before ? `&before=${before}` : ''}`;
    const page = (await get(token, query).expect(200)).body as TweetPage;
    pages.push(page.tweets.map((t) => t.text));
    before = page.nextBefore;
  } while (before && pages.length < 50);
  return { pages, texts: pages.flat() };
}

/** An author past the threshold, and one real follower. */
async function bigAuthor(handle: string, readerHandle: string) {
  const author = await signUp(server.url, handle);
  const reader = await signUp(server.url, readerHandle);
  await follow(reader.token, handle);
  await addFollowers(server.url, author.token, THRESHOLD);
  return { author, reader };
}

describe('fan-out on read (FANOUT_ON_READ_THRESHOLD)', () => {
  it('answers a job on read and done at once, delivered = total = followers at posting, and writes no follower timeline and no backlog', async () => {
    const { author } = await bigAuthor('big_one', 'reads_big_one');
    const { tweet, job } = await postTweet(server.url, author.token, 'to everyone, on read');
    expect(job).toMatchObject({ kind: 'post', delivery: 'on-read', status: 'done', delivered: 4, total: 4, skipped: 0, onReadThreshold: THRESHOLD });
    expect(job.finishedAt).not.toBeNull();
    expect(await waitForJob(server.url, author.token, job.id, 'done')).toMatchObject({ delivery: 'on-read', delivered: 4, total: 4 });
    // The author's own timeline has it at once, as any post.
    const own = (await get(author.token, '/api/timeline').expect(200)).body as TweetPage;
    expect(own.tweets.map((t) => t.id)).toEqual([tweet.id]);
    expect(await expectNoFollowerHas(redis, author.user.id, seqFromTweetId(tweet.id))).toBe(4);
    const k = keysOf(redis);
    const lanes = await Promise.all(k.layout.all.flatMap((b) => [redis.xLen(k.fanoutLanes(b).small), redis.xLen(k.fanoutLanes(b).bulk)]));
    expect(lanes.every((n) => n === 0)).toBe(true);
    expect(await readBacklog(redis)).toBe(0);
  });

  it('merges the tweets of followed big accounts into the home timeline by id, paginated exactly, each once, without deleted ones', async () => {
    const small = await signUp(server.url, 'small_acct');
    const big = await signUp(server.url, 'big_two');
    const reader = await signUp(server.url, 'mixed_reader');
    await follow(reader.token, 'small_acct');
    await follow(reader.token, 'big_two');
    const written = async (token: string, text: string) => {
      const { job } = await postTweet(server.url, token, text);
      await waitForJob(server.url, token, job.id, 'done');
      return job;
    };
    // Written into the reader's timeline before big_two crossed the threshold: in both the
    // timeline and big_two's own tweets, and shown once.
    expect((await written(big.token, 'b0 written')).delivery).toBe('fan-out');
    await addFollowers(server.url, big.token, THRESHOLD);
    const texts: string[] = [];
    for (let i = 1; i <= 4; i++) {
      await written(small.token, `s${i}`);
      const job = await written(big.token, `b${i}`);
      expect(job.delivery).toBe('on-read');
      texts.push(`s${i}`, `b${i}`);
    }
    const gone = await postTweet(server.url, big.token, 'b5 deleted');
    await api(server.url, `/api/tweets/${gone.tweet.id}`, { method: 'DELETE', token: big.token });
    await written(small.token, 's5');
    const newestFirst = ['s5', ...texts.reverse(), 'b0 written'];

    for (const limit of [1, 2, 3, 4, 100]) {
      const { pages, texts: read } = await readAllPages(reader.token, limit);
      expect(read, `limit ${limit}`).toEqual(newestFirst);
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
    }
    expect(await readAllPages(small.token, 100)).toMatchObject({ texts: ['s5', 's4', 's3', 's2', 's1'] });
  });

  it('follows the follows at read time: after an unfollow the big account’s tweets leave the timeline, and a new follower sees them', async () => {
    const { author, reader } = await bigAuthor('big_three', 'fickle_reader');
    const { tweet } = await postTweet(server.url, author.token, 'now you see me');
    expect((await readAllPages(reader.token, 10)).texts).toEqual(['now you see me']);
    await request(server.url).delete('/api/follows/big_three').set('Authorization', `Bearer ${reader.token}`).expect(200);
    expect((await readAllPages(reader.token, 10)).texts).toEqual([]);
    const late = await signUp(server.url, 'late_reader');
    await follow(late.token, 'big_three');
    const page = (await get(late.token, '/api/timeline').expect(200)).body as TweetPage;
    expect(page.tweets.map((t) => t.id)).toEqual([tweet.id]);
  });

  it('sends timeline:new to connected followers only and fanout:done to the author; a delete is done at once and tells them tweet:deleted', async () => {
    const { author, reader } = await bigAuthor('big_four', 'online_reader');
    const bystander = await signUp(server.url, 'not_following');
    const authorSeen = recordEvents(await socketOf(author.token));
    const readerSeen = recordEvents(await socketOf(reader.token));
    const bystanderSeen = recordEvents(await socketOf(bystander.token));
    const { tweet, job } = await postTweet(server.url, author.token, 'hello, online');

    await expect.poll(() => readerSeen.map((e) => e.event), { timeout: 10_000 }).toEqual(['timeline:new']);
    expect((readerSeen[0]!.payload as { tweet: Tweet }).tweet).toEqual(tweet);
    await expect.poll(() => authorSeen.filter((e) => e.event === 'fanout:done').length, { timeout: 10_000 }).toBe(1);
    const done = authorSeen.find((e) => e.event === 'fanout:done')!.payload as FanoutDone;
    expect(done).toEqual({ jobId: job.id, tweetId: tweet.id, delivered: 4, total: 4, durationMs: 0 });

    const { job: removal } = await api<{ job: Job }>(server.url, `/api/tweets/${tweet.id}`, { method: 'DELETE', token: author.token });
    expect(removal).toMatchObject({ kind: 'delete', delivery: 'on-read', status: 'done', delivered: 4, total: 4 });
    await expect.poll(() => readerSeen.map((e) => e.event), { timeout: 10_000 }).toEqual(['timeline:new', 'tweet:deleted']);
    expect(readerSeen[1]!.payload).toEqual({ tweetId: tweet.id });
    await expect.poll(() => authorSeen.filter((e) => e.event === 'fanout:done').length, { timeout: 10_000 }).toBe(2);
    expect(bystanderSeen).toEqual([]);
  });

  it('with the threshold off, the same big author fans out on write as before', async () => {
    const { author, reader } = await bigAuthor('big_five', 'plain_reader');
    const { tweet, job } = await api<{ tweet: Tweet; job: Job }>(plain.url, '/api/tweets', { token: author.token, body: { text: 'written' } });
    expect(job).toMatchObject({ delivery: 'fan-out', status: 'queued', total: 4 });
    expect(job).not.toHaveProperty('onReadThreshold');
    await waitForJob(plain.url, author.token, job.id, 'done');
    expect(await redis.lRange(keysOf(redis).timeline(reader.user.id), 0, -1)).toEqual([String(seqFromTweetId(tweet.id))]);
  });

  it('publishes a scheduled tweet of a big author on read when it comes due', async () => {
    const { author, reader } = await bigAuthor('big_six', 'patient_reader');
    const readerSeen = recordEvents(await socketOf(reader.token));
    const publishAt = new Date(Date.now() + 5_500).toISOString();
    const authorSeen = recordEvents(await socketOf(author.token));
    const { tweet, job } = await api<{ tweet: Tweet; job: Job }>(server.url, '/api/tweets', {
      token: author.token,
      body: { text: 'later, on read', publishAt },
    });
    expect(job).toMatchObject({ status: 'scheduled', onReadThreshold: THRESHOLD });
    expect((await readAllPages(reader.token, 10)).texts).toEqual([]);

    const published = await waitForJob(server.url, author.token, job.id, 'done', { timeoutMs: 20_000 });
    expect(published).toMatchObject({ delivery: 'on-read', delivered: 4, total: 4 });
    expect((await readAllPages(reader.token, 10)).texts).toEqual(['later, on read']);
    await expect.poll(() => readerSeen.map((e) => e.event), { timeout: 10_000 }).toEqual(['timeline:new']);
    // The author's page learns the way from the publication: the job it read while waiting could not know it.
    await expect
      .poll(() => authorSeen.find((e) => e.event === 'tweet:published')?.payload, { timeout: 10_000 })
      .toMatchObject({ delivery: 'on-read', total: 4 });
    expect(await expectNoFollowerHas(redis, author.user.id, seqFromTweetId(tweet.id))).toBe(4);
  });
});
