import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { seqFromTweetId, type FanoutDone, type FanoutProgress, type Job, type Tweet, type TweetDeleted } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { addFollowers, api, openSocket, postTweet, recordEvents, type ClientSocket } from './support/http-api.js';
import { waitForDelivered, waitForJob } from './support/jobs.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, startTestServer, startTestWorker } from './support/ripple.js';
import { expectNoFollowerHas } from './support/timelines.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let redis: RedisClient;
let server: Awaited<ReturnType<typeof startTestServer>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  redis = await connectedClient(redisServer.target);
  server = await startTestServer(redisServer.target);
  worker = await startTestWorker(redisServer.target);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await worker?.close();
  await server?.close();
  await redis?.close();
  await redisServer?.stop();
});

const del = (token: string, tweetId: string) => request(server.url).delete(`/api/tweets/${tweetId}`).set('Authorization', `Bearer ${token}`);
const get = (token: string, path: string) => request(server.url).get(path).set('Authorization', `Bearer ${token}`);

async function socketOf(token: string) {
  const socket = await openSocket(server.url, token);
  sockets.push(socket);
  return socket;
}

describe('DELETE /api/tweets/:id', () => {
  it('lets only the author delete: 403 for anyone else, then 202 with a delete job; the tweet is 404 and in no timeline at once, and deleting again is 404', async () => {
    const author = await signUp(server.url, 'deleter');
    const followers = await Promise.all(['reader_a', 'reader_b'].map((h) => signUp(server.url, h)));
    for (const f of followers) await api(server.url, '/api/follows', { token: f.token, body: { handle: 'deleter' } });
    const kept = await postTweet(server.url, author.token, 'stays');
    const { tweet, job: post } = await postTweet(server.url, author.token, 'regretted');
    await waitForJob(server.url, author.token, post.id, 'done');
    await waitForJob(server.url, author.token, kept.job.id, 'done');

    const refused = await del(followers[0]!.token, tweet.id).expect(403);
    expect(refused.body).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    await get(followers[0]!.token, `/api/tweets/${tweet.id}`).expect(200);

    const accepted = await del(author.token, tweet.id).expect(202);
    const job = (accepted.body as { job: Job }).job;
    expect(job).toMatchObject({ tweetId: tweet.id, kind: 'delete', delivery: 'fan-out', total: 2, skipped: 0, error: null });

    // Gone from every read the moment the delete is answered, before its job has run.
    for (const reader of [author, ...followers]) {
      await get(reader.token, `/api/tweets/${tweet.id}`).expect(404);
      const home = (await get(reader.token, '/api/timeline').expect(200)).body as { tweets: Tweet[] };
      expect(home.tweets.map((t) => t.id)).toEqual([kept.tweet.id]);
    }
    const own = (await get(author.token, '/api/users/deleter/tweets').expect(200)).body as { tweets: Tweet[] };
    expect(own.tweets.map((t) => t.id)).toEqual([kept.tweet.id]);
    expect((await del(author.token, tweet.id).expect(404)).body.error.code).toBe('not_found');
    await del(followers[0]!.token, tweet.id).expect(404);

    const done = await waitForJob(server.url, author.token, job.id, 'done');
    expect(done).toMatchObject({ kind: 'delete', delivered: 2, total: 2 });
    await expectNoFollowerHas(redis, author.user.id, seqFromTweetId(tweet.id));
    // The copy that stays is untouched.
    const k = keysOf(redis);
    for (const f of followers) expect(await redis.lRange(k.timeline(f.user.id), 0, -1)).toEqual([String(seqFromTweetId(kept.tweet.id))]);
    expect(await readBacklog(redis)).toBe(0);
  });

  it('answers a repeated Idempotency-Key of a deleted tweet with 404, and posts nothing again', async () => {
    const author = await signUp(server.url, 'repeater');
    const post = () =>
      request(server.url).post('/api/tweets').set('Authorization', `Bearer ${author.token}`).set('Idempotency-Key', 'once').send({ text: 'once only' });
    const { tweet } = (await post().expect(202)).body as { tweet: Tweet };
    await del(author.token, tweet.id).expect(202);
    expect((await post().expect(404)).body.error.code).toBe('not_found');
    const own = (await get(author.token, '/api/users/repeater/tweets').expect(200)).body as { tweets: Tweet[] };
    expect(own.tweets).toEqual([]);
  });

  it('answers 404 for an unknown tweet and 400 for a malformed id', async () => {
    const someone = await signUp(server.url, 'no_such_tweet');
    expect((await del(someone.token, '9999999999999').expect(404)).body.error.code).toBe('not_found');
    expect((await del(someone.token, 'abc').expect(400)).body.error.code).toBe('invalid_request');
  });

  it("runs the removal as a job with the post's progress events, and tells the author and connected followers tweet:deleted", async () => {
    const author = await signUp(server.url, 'big_deleter');
    const follower = await signUp(server.url, 'watching');
    const bystander = await signUp(server.url, 'bystander');
    await api(server.url, '/api/follows', { token: follower.token, body: { handle: 'big_deleter' } });
    await addFollowers(server.url, author.token, 20_000);
    const { tweet, job: post } = await postTweet(server.url, author.token, 'soon gone');
    const posted = await waitForJob(server.url, author.token, post.id, 'done');

    const authorSeen = recordEvents(await socketOf(author.token));
    const followerSeen = recordEvents(await socketOf(follower.token));
    const bystanderSeen = recordEvents(await socketOf(bystander.token));
    const { job } = (await del(author.token, tweet.id).expect(202)).body as { job: Job };
    expect(job.total).toBe(posted.delivered);

    // The post's own fanout:done may still be on its way through the relay when the socket
    // joins (on a cluster its bucket's events stream is read apart): only the delete job's count.
    const ofDelete = (e: { payload: unknown }) => (e.payload as { jobId?: string }).jobId === job.id;
    await expect.poll(() => authorSeen.filter((e) => e.event === 'fanout:done' && ofDelete(e)).length, { timeout: 20_000 }).toBe(1);
    const done = authorSeen.find((e) => e.event === 'fanout:done' && ofDelete(e))!.payload as FanoutDone;
    expect(done).toMatchObject({ jobId: job.id, tweetId: tweet.id, delivered: 20_001, total: 20_001 });
    const progress = authorSeen.filter((e) => e.event === 'fanout:progress' && ofDelete(e)).map((e) => e.payload as FanoutProgress);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p).toMatchObject({ jobId: job.id, tweetId: tweet.id, total: 20_001 });
    expect(authorSeen.filter((e) => e.event === 'tweet:deleted').map((e) => e.payload as TweetDeleted)).toEqual([{ tweetId: tweet.id }]);
    await expect.poll(() => followerSeen.map((e) => e.event), { timeout: 10_000 }).toEqual(['tweet:deleted']);
    expect(followerSeen[0]!.payload).toEqual({ tweetId: tweet.id });
    expect(bystanderSeen).toEqual([]);
    expect(await expectNoFollowerHas(redis, author.user.id, seqFromTweetId(tweet.id))).toBe(20_001);
  });
});

describe('a delete that lands while its post is still being delivered', () => {
  const procs: RippleProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  });

  it('stops the post where it got to, and no follower timeline ends with the tweet', async () => {
    // One chunk for the whole audience, in small pages: the post is a single entry that one
    // worker writes page by page, while the delete's entry (the small lane, served first) goes
    // to the other worker at once and sweeps the same followers, soon ahead of the post's cursor.
    // A post page written behind the sweep would stay: only the stop keeps them out.
    const own = await startRedisUnderTest();
    try {
      const node = await spawnServer(own.target, { FANOUT_CHUNK_SIZE: '1000000' });
      procs.push(node);
      procs.push(...(await Promise.all([spawnWorker(own.target, { FANOUT_PAGE_SIZE: '50' }), spawnWorker(own.target, { FANOUT_PAGE_SIZE: '50' })])));
      const ownRedis = await connectedClient(own.target);
      try {
        const author = await signUp(node.url, 'overtaken');
        await addFollowers(node.url, author.token, 60_000);
        const { tweet, job: post } = await postTweet(node.url, author.token, 'deleted in flight');
        await waitForDelivered(node.url, author.token, post.id, 1);
        const { job } = await api<{ job: Job }>(node.url, `/api/tweets/${tweet.id}`, { method: 'DELETE', token: author.token });

        const removed = await waitForJob(node.url, author.token, job.id, 'done');
        const stopped = await waitForJob(node.url, author.token, post.id, 'done');
        await expectNoFollowerHas(ownRedis, author.user.id, seqFromTweetId(tweet.id));
        expect(stopped.delivered).toBeLessThan(60_000);
        expect(stopped.total).toBe(stopped.delivered);
        // What the post delivered is what the delete took back out.
        expect(removed).toMatchObject({ delivered: stopped.delivered, total: stopped.delivered });
        expect(await readBacklog(ownRedis)).toBe(0);
      } finally {
        await ownRedis.close();
      }
    } finally {
      await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
      await own.stop();
    }
  });
});
