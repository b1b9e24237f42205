import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { keys, type Job, type Tweet } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { onSingleRedis, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { createTestApp } from './support/ripple.js';
import { signUp } from './support/users.js';
import { followerIds } from './support/timelines.js';
import { createTokens } from '../server/src/tokens.js';

let redisServer: RedisUnderTestHandle;
let app: Server;
let redis: RedisClient;
let close: () => Promise<unknown>;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  ({ app, redis, close } = await createTestApp(redisServer.target, { tokenSecret: 'test-secret' }));
});
afterAll(async () => {
  await close();
  await redisServer.stop();
});

const expectError = (res: request.Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
};

describe('sign-up and sign-in', () => {
  it('creates a user with a lower-case handle and returns a working token', async () => {
    const res = await request(app).post('/api/users').send({ handle: 'Ada_Lovelace', password: 'analytical' }).expect(201);
    expect(res.body.user).toEqual({ id: expect.any(String), handle: 'ada_lovelace', followers: 0, following: 0 });
    const me = await request(app).get('/api/me').set('Authorization', `Bearer ${res.body.token}`).expect(200);
    expect(me.body.user.handle).toBe('ada_lovelace');
  });

  it('refuses a taken handle, whatever its case, with 409 handle_taken', async () => {
    await signUp(app, 'grace');
    expectError(await request(app).post('/api/users').send({ handle: 'GRACE', password: 'whatever1' }), 409, 'handle_taken');
  });

  it('gives exactly one of many racing sign-ups for one handle', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => request(app).post('/api/users').send({ handle: 'racer', password: 'password1' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it.each([
    [{ handle: 'ab', password: 'password1' }, 'handle'],
    [{ handle: '\u212Aelvin', password: 'password1' }, 'handle'],
    [{ handle: 'has space', password: 'password1' }, 'handle'],
    [{ handle: 'x'.repeat(21), password: 'password1' }, 'handle'],
    [{ handle: 'valid_one', password: 'short' }, 'password'],
    [{ handle: 'valid_one', password: 'p'.repeat(129) }, 'password'],
    [{ password: 'password1' }, 'handle'],
    [{ handle: 42, password: 'password1' }, 'handle'],
  ])('rejects %j with 400 naming the field', async (body, field) => {
    const res = await request(app).post('/api/users').send(body);
    expectError(res, 400, 'invalid_request');
    expect(res.body.error.message).toContain(field);
  });

  it('signs in with the right password and refuses a wrong one with 401', async () => {
    await signUp(app, 'hopper', 'cobol-rules');
    const ok = await request(app).post('/api/sessions').send({ handle: 'Hopper', password: 'cobol-rules' }).expect(200);
    expect(ok.body.user.handle).toBe('hopper');
    expect(ok.body.token).toEqual(expect.any(String));
    expectError(await request(app).post('/api/sessions').send({ handle: 'hopper', password: 'wrong-pass' }), 401, 'unauthorized');
    expectError(await request(app).post('/api/sessions').send({ handle: 'nobody_here', password: 'wrong-pass' }), 401, 'unauthorized');
  });
});

describe('authentication', () => {
  it.each([
    ['no header', undefined],
    ['not bearer', 'Basic abc'],
    ['garbage', 'Bearer not-a-token'],
    ['forged signature', 'Bearer v1.1.epoch.99999999999999.AAAA'],
  ])('answers 401 for %s', async (_label, header) => {
    const req = request(app).get('/api/me');
    if (header) req.set('Authorization', header);
    expectError(await req, 401, 'unauthorized');
  });

  it('answers 401 for an expired token and for one signed with another key', async () => {
    const { user } = await signUp(app, 'expiring');
    const epoch = (await redis.get(keys.tokenEpoch))!;
    const expired = createTokens(() => ({ secret: 'test-secret', epoch }), -1000).issue(user.id);
    expectError(await request(app).get('/api/me').set('Authorization', `Bearer ${expired}`), 401, 'unauthorized');
    const foreign = createTokens(() => ({ secret: 'another-secret', epoch }), 60_000).issue(user.id);
    expectError(await request(app).get('/api/me').set('Authorization', `Bearer ${foreign}`), 401, 'unauthorized');
    const otherDataSet = createTokens(() => ({ secret: 'test-secret', epoch: 'another-epoch' }), 60_000).issue(user.id);
    expectError(await request(app).get('/api/me').set('Authorization', `Bearer ${otherDataSet}`), 401, 'unauthorized');
    const valid = createTokens(() => ({ secret: 'test-secret', epoch }), 60_000).issue(user.id);
    await request(app).get('/api/me').set('Authorization', `Bearer ${valid}`).expect(200);
  });
});

describe('request bodies', () => {
  it('answers 415 for a body that is not JSON', async () => {
    const { auth } = await signUp(app, 'media');
    expectError(await request(app).post('/api/tweets').set(auth).set('Content-Type', 'text/plain').send('hello'), 415, 'unsupported_media_type');
  });

  it('answers 413 for a body over 16 KiB', async () => {
    const { auth } = await signUp(app, 'bigbody');
    const res = await request(app)
      .post('/api/tweets')
      .set(auth)
      .send({ text: 'x'.repeat(17 * 1024) });
    expectError(res, 413, 'payload_too_large');
  });

  it('answers 400 for malformed JSON', async () => {
    const { auth } = await signUp(app, 'badjson');
    expectError(await request(app).post('/api/tweets').set(auth).set('Content-Type', 'application/json').send('{"text":'), 400, 'invalid_request');
  });

  it.each(['/api/users/%ZZ', '/api/tweets/%E0%A4%A', '/api/jobs/%ZZ', '/api/users/%ZZ/tweets'])(
    'answers 400, not 500, for the undecodable URL %s',
    async (path) => {
      const { auth } = await signUp(app, `url_${path.length}_${path.charCodeAt(6)}`);
      expectError(await request(app).get(path).set(auth), 400, 'invalid_request');
    },
  );

  it('answers 400, not 500, for a body that claims a compression it does not have', async () => {
    const { auth } = await signUp(app, 'fake_gzip');
    const res = await request(app).post('/api/tweets').set(auth).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{"text":"hi"}');
    expectError(res, 400, 'invalid_request');
  });

  it('answers 404 not_found for an unknown route', async () => {
    const { auth } = await signUp(app, 'lost');
    expectError(await request(app).get('/api/nowhere').set(auth), 404, 'not_found');
    expectError(await request(app).get('/nowhere'), 404, 'not_found');
  });
});

describe('users and follows', () => {
  it('follows and unfollows by handle, counting both sides', async () => {
    const a = await signUp(app, 'followee');
    const b = await signUp(app, 'follower');
    await request(app).post('/api/follows').set(b.auth).send({ handle: 'FOLLOWEE' }).expect(200, { following: true });
    await request(app).post('/api/follows').set(b.auth).send({ handle: 'followee' }).expect(200, { following: true });
    const seen = await request(app).get('/api/users/followee').set(b.auth).expect(200);
    expect(seen.body.user).toEqual({ id: a.user.id, handle: 'followee', followers: 1, following: 0 });
    expect((await request(app).get('/api/me').set(b.auth)).body.user.following).toBe(1);
    await request(app).delete('/api/follows/followee').set(b.auth).expect(200, { following: false });
    expect((await request(app).get('/api/users/followee').set(b.auth)).body.user.followers).toBe(0);
  });

  it('refuses following oneself with 400, and unknown users with 404', async () => {
    const a = await signUp(app, 'narcissus');
    expectError(await request(app).post('/api/follows').set(a.auth).send({ handle: 'narcissus' }), 400, 'invalid_request');
    expectError(await request(app).post('/api/follows').set(a.auth).send({ handle: 'ghost_user' }), 404, 'not_found');
    expectError(await request(app).delete('/api/follows/ghost_user').set(a.auth), 404, 'not_found');
    expectError(await request(app).get('/api/users/ghost_user').set(a.auth), 404, 'not_found');
    expectError(await request(app).post('/api/follows').set(a.auth).send({}), 400, 'invalid_request');
  });

  it('adds synthetic followers in bulk', async () => {
    const a = await signUp(app, 'popular');
    const res = await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count: 25_000 }).expect(200);
    expect(res.body.user.followers).toBe(25_000);
    expect(await followerIds(redis, a.user.id)).toHaveLength(25_000);
  });

  it.each([0, -1, 1.5, 1_000_001, '10'])('refuses a synthetic count of %j with 400', async (count) => {
    const a = await signUp(app, `bad_count_${String(count).replace(/\W/g, '_')}`);
    expectError(await request(app).post('/api/me/followers/synthetic').set(a.auth).send({ count }), 400, 'invalid_request');
  });
});

describe('tweets', () => {
  it('answers 202 with the tweet and a queued job, and the author sees it at once', async () => {
    const a = await signUp(app, 'poster');
    const b = await signUp(app, 'reader1');
    await request(app).post('/api/follows').set(b.auth).send({ handle: 'poster' }).expect(200);
    const res = await request(app).post('/api/tweets').set(a.auth).send({ text: '  hello <b>world</b>  ' }).expect(202);
    const tweet = res.body.tweet as Tweet;
    const job = res.body.job as Job;
    expect(tweet).toEqual({ id: expect.any(String), text: 'hello <b>world</b>', createdAt: expect.any(String), author: { id: a.user.id, handle: 'poster' } });
    expect(new Date(tweet.createdAt).toISOString()).toBe(tweet.createdAt);
    expect(job).toMatchObject({
      tweetId: tweet.id,
      kind: 'post',
      delivery: 'fan-out',
      status: 'queued',
      delivered: 0,
      total: 1,
      skipped: 0,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      error: null,
    });

    const own = await request(app).get('/api/timeline').set(a.auth).expect(200);
    expect(own.body.tweets.map((t: Tweet) => t.id)).toEqual([tweet.id]);
    expect((await request(app).get(`/api/tweets/${tweet.id}`).set(b.auth).expect(200)).body.tweet).toEqual(tweet);
    expect((await request(app).get(`/api/jobs/${job.id}`).set(a.auth).expect(200)).body.job).toEqual(job);
  });

  it('marks a tweet nobody follows as done at once', async () => {
    const a = await signUp(app, 'lonely');
    const res = await request(app).post('/api/tweets').set(a.auth).send({ text: 'anyone?' }).expect(202);
    expect(res.body.job).toMatchObject({ status: 'done', delivered: 0, total: 0 });
  });

  it('gives ids that sort in creation order', async () => {
    const a = await signUp(app, 'sorter');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        (
          await request(app)
            .post('/api/tweets')
            .set(a.auth)
            .send({ text: `n${i}` })
        ).body.tweet.id,
      );
    expect([...ids].sort()).toEqual(ids);
  });

  it('counts text in characters as a person counts them: 280 emoji pass, 281 do not, blank is refused', async () => {
    const a = await signUp(app, 'emoji');
    await request(app)
      .post('/api/tweets')
      .set(a.auth)
      .send({ text: '🌊'.repeat(280) })
      .expect(202);
    expectError(
      await request(app)
        .post('/api/tweets')
        .set(a.auth)
        .send({ text: '🌊'.repeat(281) }),
      400,
      'invalid_request',
    );
    expectError(await request(app).post('/api/tweets').set(a.auth).send({ text: '   ' }), 400, 'invalid_request');
    expectError(await request(app).post('/api/tweets').set(a.auth).send({ text: 5 }), 400, 'invalid_request');
    await request(app)
      .post('/api/tweets')
      .set(a.auth)
      .send({ text: '👨‍👩‍👧'.repeat(280) })
      .expect(202);
  });

  it('refuses invisible, control, bidi-override and ill-formed text with 400 naming text, and stores the NFC form', async () => {
    const a = await signUp(app, 'unicode_poster');
    for (const text of ['\u200B\u200D', 'a\u0000b', '\u001b[31mred', 'abc\u202Edef', 'x\uD800y']) {
      const res = await request(app).post('/api/tweets').set(a.auth).send({ text });
      expectError(res, 400, 'invalid_request');
      expect(res.body.error.message).toMatch(/^text: /);
    }
    expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(0);
    const posted = await request(app).post('/api/tweets').set(a.auth).send({ text: ' cafe\u0301\r\nok ' }).expect(202);
    expect(posted.body.tweet.text).toBe('caf\u00e9\nok');
  });

  it('answers the first tweet and job again for a repeated Idempotency-Key, even racing', async () => {
    const a = await signUp(app, 'racing_poster');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'same-key-1').send({ text: 'once' })),
    );
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(new Set(results.map((r) => r.body.tweet.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.job.id)).size).toBe(1);
    expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(1);
    // Another user's identical key is their own.
    const b = await signUp(app, 'racing_other');
    const other = await request(app).post('/api/tweets').set(b.auth).set('Idempotency-Key', 'same-key-1').send({ text: 'once' }).expect(202);
    expect(other.body.tweet.id).not.toBe(results[0]!.body.tweet.id);
  });

  it('answers 422 idempotency_mismatch for a repeated key with another body, and the first tweet for the same normalised body', async () => {
    const a = await signUp(app, 'mismatcher');
    const first = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'k-1').send({ text: 'caf\u00e9' }).expect(202);
    const again = await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'k-1').send({ text: '  cafe\u0301 ' }).expect(202);
    expect(again.body.tweet.id).toBe(first.body.tweet.id);
    expect(again.body.job.id).toBe(first.body.job.id);
    expectError(await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'k-1').send({ text: 'other' }), 422, 'idempotency_mismatch');
    // Racing with different bodies: exactly one body wins the key, the others are told so.
    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(app)
          .post('/api/tweets')
          .set(a.auth)
          .set('Idempotency-Key', 'k-2')
          .send({ text: `body ${i % 2}` }),
      ),
    );
    const accepted = racing.filter((r) => r.status === 202);
    expect(new Set(accepted.map((r) => r.body.tweet.text)).size).toBe(1);
    expect(racing.filter((r) => r.status !== 202).every((r) => r.status === 422 && r.body.error.code === 'idempotency_mismatch')).toBe(true);
    expect(await redis.zCard(keysOf(redis).userTweets(a.user.id))).toBe(2);
  });

  it('refuses a malformed Idempotency-Key with 400', async () => {
    const a = await signUp(app, 'keyless');
    expectError(await request(app).post('/api/tweets').set(a.auth).set('Idempotency-Key', 'k'.repeat(65)).send({ text: 'x' }), 400, 'invalid_request');
  });

  it('answers 404 for unknown tweets and jobs, 400 for malformed tweet ids', async () => {
    const a = await signUp(app, 'seeker');
    expectError(await request(app).get('/api/tweets/999999999').set(a.auth), 404, 'not_found');
    expectError(await request(app).get('/api/tweets/not-an-id').set(a.auth), 400, 'invalid_request');
    expectError(await request(app).get('/api/jobs/999999999').set(a.auth), 404, 'not_found');
    expectError(await request(app).get('/api/jobs/abc').set(a.auth), 404, 'not_found');
  });

  it("answers 403 for another user's job", async () => {
    const a = await signUp(app, 'job_owner');
    const b = await signUp(app, 'job_snoop');
    const { job } = (await request(app).post('/api/tweets').set(a.auth).send({ text: 'mine' })).body;
    expectError(await request(app).get(`/api/jobs/${job.id}`).set(b.auth), 403, 'forbidden');
  });
});

describe('timelines', () => {
  it('pages newest first with limit and before, ending with nextBefore null', async () => {
    const a = await signUp(app, 'pager');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await request(app)
            .post('/api/tweets')
            .set(a.auth)
            .send({ text: `t${i}` })
        ).body.tweet.id,
      );
    const newestFirst = [...ids].reverse();
    const first = await request(app).get('/api/timeline?limit=2').set(a.auth).expect(200);
    expect(first.body.tweets.map((t: Tweet) => t.id)).toEqual(newestFirst.slice(0, 2));
    const second = await request(app).get(`/api/timeline?limit=2&before=${first.body.nextBefore}`).set(a.auth).expect(200);
    expect(second.body.tweets.map((t: Tweet) => t.id)).toEqual(newestFirst.slice(2, 4));
    const third = await request(app).get(`/api/timeline?limit=2&before=${second.body.nextBefore}`).set(a.auth).expect(200);
    expect(third.body).toEqual({ tweets: [expect.objectContaining({ id: newestFirst[4] })], nextBefore: null });
    const own = await request(app).get('/api/users/pager/tweets?limit=100').set(a.auth).expect(200);
    expect(own.body.tweets.map((t: Tweet) => t.id)).toEqual(newestFirst);
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'before=xyz'])('refuses ?%s with 400', async (query) => {
    const a = await signUp(app, `q_${query.replace(/\W/g, '_')}`);
    expectError(await request(app).get(`/api/timeline?${query}`).set(a.auth), 400, 'invalid_request');
  });

  it('answers 404 for the tweets of an unknown user', async () => {
    const a = await signUp(app, 'curious');
    expectError(await request(app).get('/api/users/nobody_at_all/tweets').set(a.auth), 404, 'not_found');
  });
});

describe('health and metrics', () => {
  it('reports Redis and the backlog', async () => {
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', redis: 'ok', backlog: expect.any(Number) });
  });

  it('times every request by method, route pattern and status, on the node that answered it', async () => {
    // A node of its own: its request histogram holds exactly the requests below.
    const node = await createTestApp(redisServer.target, { tokenSecret: 'test-secret' });
    try {
      const { auth } = await signUp(node.app, 'timed');
      await request(node.app).get('/api/me').set(auth).expect(200);
      await request(node.app).get('/api/me').set(auth).expect(200);
      await request(node.app).get('/api/users/timed').set(auth).expect(200);
      await request(node.app).get('/api/users/nobody_timed').set(auth).expect(404);
      await request(node.app).get('/api/nowhere').set(auth).expect(404);
      await request(node.app).get('/healthz').expect(200);
      const text = (await request(node.app).get('/metrics').expect(200)).text;

      const name = 'ripple_http_request_duration_seconds';
      const counts = Object.fromEntries([...text.matchAll(new RegExp(`^${name}_count\\{(.*)\\} (\\d+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]));
      expect(counts).toEqual({
        'method="POST",route="/api/users",status="201"': 1,
        'method="GET",route="/api/me",status="200"': 2,
        // The pattern, not the path: a series per handle would grow without end.
        'method="GET",route="/api/users/:handle",status="200"': 1,
        'method="GET",route="/api/users/:handle",status="404"': 1,
        'method="GET",route="unmatched",status="404"': 1,
        'method="GET",route="/healthz",status="200"': 1,
      });
      for (const [labels, count] of Object.entries(counts)) {
        expect(text).toContain(`${name}_bucket{le="+Inf",${labels}} ${String(count)}\n`);
      }
    } finally {
      await node.close();
    }
  });

  // On a cluster the stalled node and the one the request asks need not be the same.
  it.runIf(onSingleRedis)('times requests in seconds: one that Redis holds up for half a second lands between 0.25 s and 2.5 s', async () => {
    const node = await createTestApp(redisServer.target, { tokenSecret: 'test-secret' });
    try {
      const { auth } = await signUp(node.app, 'held_up');
      // A script that spins for 500 ms on Redis's own clock: every command behind it waits.
      const stall = node.redis.eval(
        "local t = redis.call('TIME') local start = t[1] * 1e6 + t[2] repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - start >= 500000",
      );
      // Let the script's command leave for Redis before the request's own command can.
      await new Promise((resolve) => setImmediate(resolve));
      await request(node.app).get('/api/me').set(auth).expect(200);
      await stall;
      const text = (await request(node.app).get('/metrics').expect(200)).text;
      const bucket = (le: string) =>
        Number(
          new RegExp(
            `^ripple_http_request_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}",method="GET",route="/api/me",status="200"\\} (\\d+)$`,
            'm',
          ).exec(text)?.[1],
        );
      expect([bucket('0.25'), bucket('2.5'), bucket('+Inf')]).toEqual([0, 1, 1]);
    } finally {
      await node.close();
    }
  });

  it('exports Prometheus text', async () => {
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/^ripple_fanout_backlog \d+$/m);
    expect(res.text).toMatch(/^ripple_tweets_accepted_total \d+$/m);
  });
});
