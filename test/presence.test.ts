import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineNew } from '@ripple/shared';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { startTestServer, startTestWorker } from './support/ripple.js';
import { api, openSocket, postTweet, type ClientSocket } from './support/http-api.js';
import { signUp } from './support/users.js';

let redisServer: TestRedis;
beforeAll(async () => {
  redisServer = await startRedis({ appendOnly: true });
});
afterAll(async () => {
  await redisServer.stop();
});

describe('presence', () => {
  it('heals after a Redis outage: a follower who connected meanwhile still gets timeline:new', async () => {
    const server = await startTestServer(redisServer.url);
    const worker = await startTestWorker(redisServer.url);
    let socket: ClientSocket | undefined;
    try {
      const author = await signUp(server.url, 'outage_author');
      const follower = await signUp(server.url, 'outage_follower');
      await api(server.url, '/api/follows', { token: follower.token, body: { handle: 'outage_author' } });

      await redisServer.kill();
      socket = await openSocket(server.url, follower.token);
      const arrived = new Promise<TimelineNew>((resolve) => socket!.once('timeline:new', resolve));
      await redisServer.restart();

      // Presence is re-asserted within one refresh period; post until the follower is seen online.
      const deadline = Date.now() + 20_000;
      let received: TimelineNew | null = null;
      while (!received && Date.now() < deadline) {
        await postTweet(server.url, author.token, 'are you there?').catch(() => null);
        received = await Promise.race([arrived, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      }
      expect(received?.tweet.text).toBe('are you there?');
    } finally {
      socket?.close();
      await worker.close();
      await server.close();
    }
  });

  it('drops sockets when Redis comes back without its data, so an old session cannot receive a new user\'s events', async () => {
    const own = await startRedis();
    const server = await startTestServer(own.url);
    let socket: ClientSocket | undefined;
    try {
      const alice = await signUp(server.url, 'old_session');
      socket = await openSocket(server.url, alice.token);
      const dropped = new Promise<string>((resolve) => socket!.once('disconnect', resolve));
      await own.kill();
      await own.restart();
      expect(await dropped).toBe('io server disconnect');
    } finally {
      socket?.close();
      await server.close();
      await own.stop();
    }
  });
});
