import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createServer, type AddressInfo } from 'node:net';
import { openSocket } from './support/http-api.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './support/redis-under-test.js';
import { startTestServer } from './support/ripple.js';
import { signUp } from './support/users.js';

let redisServer: RedisUnderTestHandle;
let node: Awaited<ReturnType<typeof startTestServer>>;
let metricsPort: number;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  redisServer = await startRedisUnderTest();
  metricsPort = await freePort();
  node = await startTestServer(redisServer.target, { metricsPort });
});
afterAll(async () => {
  await node.close();
  await redisServer.stop();
});

describe('HTTP hardening', () => {
  it('sends nosniff, no framing and a CSP on every answer, errors included', async () => {
    for (const res of [await request(node.url).get('/healthz'), await request(node.url).get('/api/me'), await request(node.url).get('/nowhere')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('listens on 127.0.0.1 unless told otherwise', () => {
    expect((node.server.httpServer.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('serves /metrics only on METRICS_PORT when it is set, without a token', async () => {
    await request(node.url).get('/metrics').expect(404);
    const res = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics').expect(200);
    expect(res.text).toMatch(/^ripple_fanout_backlog \d+$/m);
    // The metrics port serves nothing else.
    await request(`http://127.0.0.1:${metricsPort}`).get('/api/me').expect(404);
  });

  it('drops a socket that sends a message bigger than a handshake needs', async () => {
    const { token } = await signUp(node.url, 'big_sender');
    const socket = await openSocket(node.url, token);
    try {
      const dropped = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      (socket as unknown as { emit(event: string, payload: string): void }).emit('hello', 'x'.repeat(64 * 1024));
      expect(await dropped).toBe('transport close');
    } finally {
      socket.close();
    }
  });
});
