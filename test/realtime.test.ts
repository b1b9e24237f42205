import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import type { FanoutDone, FanoutProgress, TimelineNew } from '@ripple/shared';
import { watchDashboard, type DashboardWatch } from './support/dashboard.js';
import { waitForJob } from './support/jobs.js';
import { startRedis } from './support/redis-server.js';
import { onSingleRedis, startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { api, openSocket as open, postTweet, recordEvents as record, type ClientSocket } from './support/http-api.js';
import { connectedClient, startTestServer, startTestWorker } from './support/ripple.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let nodes: (RippleProcess & { url: string })[];
let workers: RippleProcess[];
const sockets: ClientSocket[] = [];
const dashboards: DashboardWatch[] = [];

async function openSocket(base: string, token: string): Promise<ClientSocket> {
  const socket = await open(base, token);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  nodes = await Promise.all([spawnServer(redisServer.target), spawnServer(redisServer.target)]);
  workers = await Promise.all([spawnWorker(redisServer.target), spawnWorker(redisServer.target)]);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  for (const d of dashboards) d.close();
  await Promise.all([...nodes, ...workers].map((p) => p.stop()));
  await redisServer.stop();
});

describe('events across server nodes', () => {
  it('refuses a socket without a valid token with connect_error "unauthorized"', async () => {
    await expect(openSocket(nodes[0]!.url, 'forged')).rejects.toThrow('unauthorized');
    const anonymous = connect(nodes[0]!.url, { transports: ['websocket'], reconnection: false });
    sockets.push(anonymous);
    await expect(new Promise((_, reject) => anonymous.once('connect_error', reject))).rejects.toThrow('unauthorized');
  });

  it("delivers progress and done to the author's sockets and timeline:new to followers, on either node", async () => {
    const [n1, n2] = [nodes[0]!.url, nodes[1]!.url];
    const author = await signUp(n1, 'node_author');
    const follower = await signUp(n2, 'node_follower');
    const bystander = await signUp(n2, 'node_bystander');
    await api(n2, '/api/follows', { token: follower.token, body: { handle: 'node_author' } });
    await api(n1, '/api/me/followers/synthetic', { token: author.token, body: { count: 20_000 } });

    const authorOnN1 = record(await openSocket(n1, author.token));
    const authorOnN2 = record(await openSocket(n2, author.token));
    const followerSocket = await openSocket(n2, follower.token);
    const followerSeen = record(followerSocket);
    const bystanderSeen = record(await openSocket(n1, bystander.token));
    const arrived = new Promise<TimelineNew>((resolve) => followerSocket.once('timeline:new', resolve));

    const { tweet, job } = await api<{ tweet: { id: string }; job: { id: string } }>(n2, '/api/tweets', {
      token: author.token,
      body: { text: 'across nodes' },
    });

    expect((await arrived).tweet).toMatchObject({ id: tweet.id, text: 'across nodes', author: { handle: 'node_author' } });
    for (const seen of [authorOnN1, authorOnN2]) {
      await expect.poll(() => seen.filter((e) => e.event === 'fanout:done').length, { timeout: 20_000 }).toBe(1);
      const done = seen.find((e) => e.event === 'fanout:done')!.payload as FanoutDone;
      expect(done).toMatchObject({ jobId: job.id, tweetId: tweet.id, delivered: 20_001, total: 20_001 });
      const progress = seen.filter((e) => e.event === 'fanout:progress').map((e) => (e.payload as FanoutProgress).delivered);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      // Progress "at least every 10 % of total": workers report at page boundaries (1 000
      // followers), so no stretch from 0 through each report to done is longer than a tenth of
      // the total plus one page.
      const marks = [0, ...progress, done.delivered];
      const longest = Math.max(...marks.slice(1).map((mark, i) => mark - marks[i]!));
      expect(longest).toBeLessThanOrEqual(Math.ceil(done.total / 10) + 1_000);
    }
    // Nobody receives what is not theirs.
    expect(followerSeen.map((e) => e.event)).toEqual(['timeline:new']);
    expect(bystanderSeen).toEqual([]);
  });

  it('feeds the dashboard namespace without sign-in: the last minute on connect, then a snapshot a second', async () => {
    // A Redis, node and worker of its own, so the numbers are this test's alone.
    const own = await startRedisUnderTest();
    const server = await startTestServer(own.target);
    const worker = await startTestWorker(own.target);
    try {
      const author = await signUp(server.url, 'dashboard_author');
      await api(server.url, '/api/me/followers/synthetic', { token: author.token, body: { count: 2_000 } });
      const durations: number[] = [];
      for (const text of ['one', 'two', 'three']) {
        const { job } = await postTweet(server.url, author.token, text);
        const done = await waitForJob(server.url, author.token, job.id, 'done');
        durations.push(Date.parse(done.finishedAt!) - Date.parse(done.enqueuedAt));
      }
      durations.sort((a, b) => a - b);

      const dashboard = watchDashboard(server.url);
      dashboards.push(dashboard);
      const live = await dashboard.next();
      const history = dashboard.snapshots.slice(0, dashboard.snapshots.indexOf(live));
      expect(history.length).toBeGreaterThan(0);
      expect(live.t).toBeGreaterThan(history.at(-1)!.t);
      // p50 and p99 of the three fan-outs of the last minute, by nearest rank: the middle one and the slowest.
      expect(live).toMatchObject({ backlog: 0, workersAlive: 1, deadLetters: 0, fanoutP50Ms: durations[1], fanoutP99Ms: durations[2] });
      // The second that saw the posts and deliveries is on the dashboard, whether it came before
      // the connection (history) or after it.
      const seen = [...history, live];
      expect(seen.some((s) => s.deliveriesPerSecond > 0)).toBe(true);
      expect(seen.some((s) => s.acceptedPerSecond > 0)).toBe(true);
    } finally {
      await worker.close();
      await server.close();
      await own.stop();
    }
  });
});

// Holding the one Redis with a spinning script is what makes the order visible.
describe.runIf(onSingleRedis)('a server node told to stop', () => {
  it('disconnects its Socket.IO clients first, while it is still stopping, and exits 0', async () => {
    const own = await startRedis();
    const node = await spawnServer(own.url);
    const redis = await connectedClient(own.url);
    try {
      const user = await signUp(node.url, 'told_to_stop');
      const socket = await openSocket(node.url, user.token);
      const dashboard = watchDashboard(node.url);
      dashboards.push(dashboard);
      await dashboard.next();

      const seen: string[] = [];
      const userSocket = new Promise<string>((resolve) => socket.once('disconnect', resolve)).then((reason) => (seen.push('user socket'), reason));
      const dashboardSocket = dashboard.disconnected().then((reason) => (seen.push('dashboard socket'), reason));
      // Redis is held for 2 s by a script spinning on its clock. The node cannot finish stopping
      // meanwhile (its event relay and Redis connections wait for answers), but closing its
      // sockets needs no Redis: they must close while Redis is still held, not when the process ends.
      const held = redis
        .eval("local t = redis.call('TIME') local start = t[1] * 1e6 + t[2] repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - start >= 2000000")
        .then(() => seen.push('Redis released'));
      await new Promise((resolve) => setImmediate(resolve));
      const exitCode = node.stop('SIGTERM');

      expect(await userSocket).toBe('transport close');
      expect(await dashboardSocket).toBe('transport close');
      await held;
      expect(seen.slice(0, 2).sort(), 'both sockets closed while Redis was still held').toEqual(['dashboard socket', 'user socket']);
      expect(await exitCode).toBe(0);
      expect(node.output()).toMatch(/"msg":"stopped"/);
    } finally {
      await node.stop('SIGKILL');
      await redis.close();
      await own.stop();
    }
  });
});
