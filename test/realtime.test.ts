import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { DASHBOARD_NAMESPACE, type DashboardSnapshot, type FanoutDone, type FanoutProgress, type TimelineNew } from '@ripple/shared';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { api, openSocket as open, recordEvents as record, type ClientSocket } from './support/http-api.js';
import { signUp } from './support/users.js';

let redisServer: TestRedis;
let nodes: (RippleProcess & { url: string })[];
let workers: RippleProcess[];
const sockets: ClientSocket[] = [];

async function openSocket(base: string, token: string): Promise<ClientSocket> {
  const socket = await open(base, token);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  redisServer = await startRedis();
  nodes = await Promise.all([spawnServer(redisServer.url), spawnServer(redisServer.url)]);
  workers = await Promise.all([spawnWorker(redisServer.url), spawnWorker(redisServer.url)]);
});
afterAll(async () => {
  for (const s of sockets) s.close();
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
      expect(progress.length).toBeGreaterThan(0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    }
    // Nobody receives what is not theirs.
    expect(followerSeen.map((e) => e.event)).toEqual(['timeline:new']);
    expect(bystanderSeen).toEqual([]);
  });

  it('feeds the dashboard namespace without sign-in: the last minute on connect, then a snapshot a second', async () => {
    const dashboard = connect(`${nodes[1]!.url}${DASHBOARD_NAMESPACE}`, { transports: ['websocket'], reconnection: false });
    sockets.push(dashboard as unknown as ClientSocket);
    const history = await new Promise<DashboardSnapshot[]>((resolve) => dashboard.once('dashboard:history', resolve));
    expect(history.length).toBeGreaterThan(0);
    const live = await new Promise<DashboardSnapshot>((resolve) => dashboard.once('dashboard:stats', resolve));
    expect(live.t).toBeGreaterThan(history[history.length - 1]!.t);
    expect(live).toMatchObject({ backlog: 0, workersAlive: 2, deadLetters: 0 });
    // The fan-out of the previous test finished within the last minute.
    expect(live.fanoutP50Ms).toEqual(expect.any(Number));
    expect(live.fanoutP99Ms).toBeGreaterThanOrEqual(live.fanoutP50Ms!);
    const seen = [...history, live];
    expect(seen.some((s) => s.deliveriesPerSecond > 0)).toBe(true);
    expect(seen.some((s) => s.acceptedPerSecond > 0)).toBe(true);
  });
});
