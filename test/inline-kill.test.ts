import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { jobField, seqFromTweetId, tweetField, type PostTweetResponse } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { readBacklog } from '../server/src/store/bucket-totals.js';
import { addFollowers, postTweet } from './support/http-api.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { connectedClient } from './support/ripple.js';
import { publishedEvents } from './support/streams.js';
import { expectEveryFollowerHasEachOnce } from './support/timelines.js';
import { signUp } from './support/users.js';

/** Everything the test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: TestRedis[]; clients: RedisClient[] } = { procs: [], redis: [], clients: [] };
afterEach(async () => {
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

/** Big inline audiences, so that each delivery is pages enough for a kill to land inside one. */
const FOLLOWERS = 900;
const AUTHORS = 4;
/** Requests in flight at once per author. */
const IN_FLIGHT = 2;

describe('inline delivery through a SIGKILL of its server', () => {
  it('a server SIGKILLed mid-delivery under load: every admitted tweet, answered or not, reaches every follower exactly once, with one fanout:done', async () => {
    const redisServer = await startRedis({ appendOnly: true });
    started.redis.push(redisServer);
    // Pages of 25 followers: each delivery is 36 round trips, so the kill lands inside deliveries.
    const env = { FANOUT_INLINE_MAX: '1000', FANOUT_PAGE_SIZE: '25' };
    const server = await spawnServer(redisServer.url, env);
    started.procs.push(server);
    const authors = await Promise.all(Array.from({ length: AUTHORS }, (_, i) => signUp(server.url, `inline_kill_${i}`)));
    for (const author of authors) await addFollowers(server.url, author.token, FOLLOWERS);
    started.procs.push(await spawnWorker(redisServer.url));
    const redis = await connectedClient(redisServer.url);
    started.clients.push(redis);

    // Each author keeps IN_FLIGHT posts going until the server dies under them.
    const accepted: PostTweetResponse[] = [];
    let dead = false;
    const posting = authors.flatMap((author) =>
      Array.from({ length: IN_FLIGHT }, async (_, lane) => {
        for (let i = 0; !dead; i++) {
          try {
            accepted.push(await postTweet(server.url, author.token, `${author.user.handle} ${lane}.${i}`));
          } catch {
            return;
          }
        }
      }),
    );
    await delay(1_500);
    await server.stop('SIGKILL');
    dead = true;
    await Promise.all(posting);

    const k = keysOf(redis);
    // The kill landed mid-delivery: inline entries were left on the retry schedule for the workers.
    const orphaned = await redis.zCard(k.retrySchedule(0));
    expect(orphaned, 'inline deliveries cut off by the kill').toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    // Inline while Redis is not busy (INLINE_BUSY_BACKLOG counts the deliveries under way too), queued otherwise.
    const inline = accepted.filter(({ job }) => job.delivery === 'inline');
    expect(inline.length).toBeGreaterThan(0);
    for (const { job } of inline) expect(job).toMatchObject({ status: 'done', delivered: FOLLOWERS, total: FOLLOWERS });

    // Every tweet admitted, including those whose 202 never left the dead server.
    const admitted = new Map<string, string[]>();
    for (const author of authors) admitted.set(author.user.id, await redis.zRange(k.userTweets(author.user.id), 0, -1));
    for (const { tweet } of accepted) expect(admitted.get(tweet.author.id)).toContain(String(seqFromTweetId(tweet.id)));
    const jobs = (await Promise.all([...admitted.values()].flat().map((seq) => redis.hGet(k.tweet(seq), tweetField.job)))).map(String);

    await expect
      .poll(async () => (await Promise.all(jobs.map((id) => redis.hGet(k.job(id), jobField.status)))).filter((s) => s !== 'done').length, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(0);
    for (const author of authors) await expectEveryFollowerHasEachOnce(redis, author.user.id, admitted.get(author.user.id)!);
    const done = (await publishedEvents(redis)).filter((e) => e.event === 'fanout:done');
    for (const id of jobs)
      expect(
        done.filter((e) => e.payload.jobId === id),
        `fanout:done of job ${id}`,
      ).toHaveLength(1);
    expect(await redis.zCard(k.retrySchedule(0))).toBe(0);
    expect(await readBacklog(redis)).toBe(0);
  }, 120_000);
});
