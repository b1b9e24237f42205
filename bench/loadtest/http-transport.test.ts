import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttpFetch } from './http-transport.js';
import { RippleClient, RippleNetworkError, RippleUnreachableError } from './ripple-client.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server on a free port that answers with `handler`; counts the connections it was opened. */
async function serve(handler: http.RequestListener): Promise<{ url: string; connections: () => number }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => (connections += 1));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

describe('nodeHttpFetch', () => {
  it('sends method, headers and body, and answers status, headers by any case and the body', async () => {
    const seen: { method?: string; key?: string; body: string }[] = [];
    const { url } = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, key: req.headers['idempotency-key'] as string, body });
        res.writeHead(503, { 'Retry-After': '3', 'Content-Type': 'application/json' }).end('{"error":{"code":"overloaded","message":"not now"}}');
      });
    });
    const answer = await nodeHttpFetch(`${url}/api/tweets`, {
      method: 'POST',
      headers: { 'Idempotency-Key': 'k-1', 'Content-Type': 'application/json' },
      body: '{"text":"hi"}',
      signal: new AbortController().signal,
    });
    expect([answer.status, answer.ok, answer.headers.get('Retry-After'), answer.headers.get('content-type')]).toEqual([503, false, '3', 'application/json']);
    expect(JSON.parse(await answer.text())).toEqual({ error: { code: 'overloaded', message: 'not now' } });
    expect(seen).toEqual([{ method: 'POST', key: 'k-1', body: '{"text":"hi"}' }]);
  });

  it('keeps the connection alive from one request to the next', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    const client = new RippleClient({ baseUrl: server.url });
    for (let i = 0; i < 5; i++) await client.metrics();
    expect(server.connections()).toBe(1);
  });
});

describe('RippleClient over node:http', () => {
  it('gives up on a try that gets no answer within the timeout, as a network error', async () => {
    const { url } = await serve(() => {});
    const error = await new RippleClient({ baseUrl: url }).metrics(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RippleNetworkError);
    expect((error as Error).message).toBe('/metrics: no answer in 100 ms');
  });

  it("stops at once when the caller's signal aborts, with the signal's reason", async () => {
    const { url } = await serve(() => {});
    const client = new RippleClient({ baseUrl: url });
    const stop = new AbortController();
    const posting = client.postTweet('tok', 'hi', { idempotencyKey: 'k', signal: stop.signal }).catch((e: unknown) => e);
    stop.abort(new Error('run over'));
    expect(((await posting) as Error).message).toBe('run over');
  });

  it('names the system error when nothing listens', async () => {
    const { url } = await serve(() => {});
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const error = await new RippleClient({ baseUrl: url }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RippleUnreachableError);
    expect((error as Error).message).toBe(`Ripple is not reachable at ${url} (ECONNREFUSED); start it with \`npm start\` or pass --url`);
  });
});
