import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import fc from 'fast-check';
import { io as connect } from 'socket.io-client';
import type { RedisClient } from '@ripple/shared/node';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { connectedClient, keysMatching, startTestServer } from './support/ripple.js';
import { signUp } from './support/users.js';

// Property-based fuzzing of every endpoint and of the socket handshake: whatever arrives, the
// answer is never a 5xx, an error has the contract's shape, and a 4xx changes nothing stored.

let redisServer: RedisUnderTestHandle;
let node: Awaited<ReturnType<typeof startTestServer>>;
let redis: RedisClient;
let token: string;
let tweetId: string;

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  node = await startTestServer(redisServer.target, { tokenSecret: 'fuzz-secret' });
  redis = await connectedClient(redisServer.target);
  const owner = await signUp(node.url, 'fuzz_owner');
  await signUp(node.url, 'fuzz_other');
  token = owner.token;
  tweetId = (await request(node.url).post('/api/tweets').set(owner.auth).send({ text: 'seed' }).expect(202)).body.tweet.id;
});
afterAll(async () => {
  await redis.close();
  await node.close();
  await redisServer.stop();
});

/**
 * A key's content. DUMP's bytes for most types; a hash's or a set's members sorted instead:
 * a large one is a hash table that Redis rehashes a step at a time on any access, a read
 * included, and DUMP writes it in table order, which that step can change.
 */
async function contentOf(key: string): Promise<unknown> {
  const type = await redis.type(key);
  if (type === 'hash') return Object.entries(await redis.hGetAll(key)).sort(([a], [b]) => (a < b ? -1 : 1));
  if (type === 'set') return (await redis.sMembers(key)).sort();
  return redis.sendCommand(['DUMP', key]);
}

/**
 * Everything a request can change, as one string: each stored key and its serialised value.
 * Counters that any request may move (rate limits and the sign-in and sign-up limiters, request
 * stats, presence, the events stream)
 * are left out: spending a rate-limit budget on a refused request is intended. So are id
 * sequences: ids are opaque and may have gaps (a sign-up that loses a race for its handle, 409,
 * has taken one).
 */
async function storedState(): Promise<string> {
  const keys = (await keysMatching(redis, '*')).filter((k) => !/:(rate|limit|stats|online|events|presence|seq)[:-]/.test(k)).sort();
  const digests = await Promise.all(keys.map((k) => contentOf(k)));
  return keys.map((k, i) => `${k}=${JSON.stringify(digests[i])}`).join('\n');
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('fuzz_owner', 'fuzz_other', '', '..', '%00', '%E0%A4%A'),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, Infinity, 1_000_001, Number.MAX_SAFE_INTEGER));
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  {
    // Close to valid for every endpoint at once: the fields each one reads, with edge values.
    arbitrary: fc.record({
      handle: fc.oneof(fc.constantFrom('fuzz_other', 'fuzz_owner', 'nobody_here'), fc.stringMatching(/^[a-z0-9_]{2,21}$/)),
      password: fc.string({ minLength: 7, maxLength: 20 }),
      text: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 300 }),
      count: fc.integer({ min: -1, max: 20 }),
    }),
    weight: 6,
  },
  fc.record({ handle: fc.oneof(text, number), password: fc.oneof(text, number) }, { requiredKeys: [] }),
  fc.record({ text: fc.oneof(text, number, fc.constant(null)) }, { requiredKeys: [] }),
  fc.record({ count: fc.oneof(number, text) }, { requiredKeys: [] }),
);
const routes = fc.constantFrom(
  ['POST', '/api/users'],
  ['POST', '/api/sessions'],
  ['GET', '/api/me'],
  ['GET', '/api/users/:p'],
  ['POST', '/api/follows'],
  ['DELETE', '/api/follows/:p'],
  ['POST', '/api/tweets'],
  ['GET', '/api/tweets/:p'],
  ['DELETE', '/api/tweets/:p'],
  ['GET', '/api/timeline'],
  ['GET', '/api/users/:p/tweets'],
  ['GET', '/api/jobs/:p'],
  ['POST', '/api/me/followers/synthetic'],
  ['GET', '/healthz'],
);
/** Any value a client can put in a header (Node refuses control characters before sending). */
const headerValue = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength }).map((v) => v.replace(/[^\t\x20-\x7e]/g, ''));
// Weighted towards well-formed requests, so that the deeper checks (past auth, past JSON
// parsing) are reached often, not once in thousands of runs.
const authorization = fc.oneof(
  fc.constant(undefined),
  { arbitrary: fc.constant('valid'), weight: 6 },
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  headerValue(30),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
);
const body = fc.oneof({ arbitrary: jsonValue.map((v) => JSON.stringify(v)), weight: 6 }, fc.string({ maxLength: 80 }), fc.constant(''));
const query = fc.record({ limit: fc.oneof(text, number.map(String)), before: fc.oneof(text, number.map(String)) }, { requiredKeys: [] });

describe('fuzzing the HTTP API', () => {
  it('never answers 5xx, always answers errors in the contract shape, and changes nothing on a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        routes,
        fc.oneof(text, number.map(String), fc.constant(tweetId)),
        authorization,
        contentType,
        body,
        query,
        fc.option(headerValue(70), { nil: undefined }),
        async ([method, route], param, auth, type, payload, q, idempotencyKey) => {
          const path = route.replace(':p', encodeURIComponent(param));
          const before = await storedState();
          let req = request(node.url)[method.toLowerCase() as 'get' | 'post' | 'delete'](path).query(q);
          if (auth !== undefined) req = req.set('Authorization', auth === 'valid' ? `Bearer ${token}` : auth);
          if (idempotencyKey !== undefined) req = req.set('Idempotency-Key', idempotencyKey);
          if (method !== 'GET') {
            if (type !== undefined) req = req.set('Content-Type', type);
            req = req.send(payload);
          }
          const res = await req;
          expect(res.status, `${method} ${path} → ${res.status} ${res.text}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
            const after = await storedState();
            const changed = after
              .split('\n')
              .filter((line) => !before.split('\n').includes(line))
              .map((line) => line.split('=')[0]);
            expect(changed, `${method} ${path} → ${res.status} changed stored keys`).toEqual([]);
            expect(after === before, `${method} ${path} → ${res.status} removed stored keys`).toBe(true);
          }
        },
      ),
      { numRuns: 250 },
    );
  });
});

describe('fuzzing the socket handshake', () => {
  it('refuses any auth payload but a valid token with connect_error "unauthorized", and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.object({ maxDepth: 2 }), fc.record({ token: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object()) })),
        async (auth) => {
          const socket = connect(node.url, { transports: ['websocket'], reconnection: false, auth });
          try {
            const outcome = await new Promise<string>((resolve) => {
              socket.once('connect', () => resolve('connected'));
              socket.once('connect_error', (err) => resolve(err.message));
              socket.once('disconnect', (reason) => resolve(`disconnected: ${reason}`));
              setTimeout(() => resolve('no answer within 3 s'), 3000);
            });
            expect(outcome).toBe('unauthorized');
          } finally {
            socket.close();
          }
        },
      ),
      { numRuns: 40 },
    );
    await request(node.url).get('/healthz').expect(200);
  });
});
