/**
 * The server side of `npm run bench -- --floor` (bench/floor/cpu-floor.ts): an HTTP endpoint
 * that takes a tweet's JSON body and answers 202 with JSON, built one of three ways, each the
 * least that way can be. Run as its own process so that its CPU time is its own.
 *
 * - `node`: node:http alone, the body read and parsed by hand.
 * - `express`: Express 5 with express.json, and no Redis.
 * - `express-helmet`: the same behind helmet's headers, as Ripple's server is built.
 * - `inline`: node:http plus one script call that writes the tweet into 100 timelines (LPUSH and
 *   the lazy trim, as a fan-out does): a 100-follower tweet delivered with no queue, no worker,
 *   no record, no event. Nothing a fan-out design does can cost less than this.
 *
 * Prints `ready <port>` once listening; `GET /cpu` answers its process.cpuUsage() in µs.
 */
import express from 'express';
import helmet from 'helmet';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { timelineTrimAt } from '@ripple/shared';

const [kind, redisUrl] = process.argv.slice(2);
const TIMELINE_MAX = 800;
const INLINE_FOLLOWERS = 100;

const DELIVER_SCRIPT = `#!lua
local keep, trimAt = tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, tonumber(ARGV[4]) do
  local key = 'tl:' .. i
  if redis.call('LPUSH', key, ARGV[1]) > trimAt then
    redis.call('LTRIM', key, 0, keep - 1)
  end
end
return 1
`;

const answer = (text: unknown) => JSON.stringify({ tweet: { id: '1', text }, job: { id: '1', status: 'queued' } });

function cpuMicros(res: ServerResponse): void {
  const { user, system } = process.cpuUsage();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ micros: user + system }));
}

function readJson(req: IncomingMessage): Promise<{ text?: unknown }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown });
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function plainHandler(deliver?: (id: string) => Promise<unknown>) {
  let seq = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/cpu') return cpuMicros(res);
    readJson(req).then(
      async (body) => {
        if (deliver) await deliver(String(++seq));
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(answer(body.text));
      },
      () => {
        res.writeHead(400);
        res.end();
      },
    );
  };
}

function expressApp(withHelmet: boolean) {
  const app = express();
  app.disable('x-powered-by');
  if (withHelmet) app.use(helmet());
  app.get('/cpu', (_req, res) => cpuMicros(res));
  app.use(express.json({ limit: '16kb' }));
  app.post('/api/tweets', (req, res) => {
    res
      .status(202)
      .type('application/json')
      .send(answer((req.body as { text?: unknown }).text));
  });
  return app;
}

async function inlineDeliver(url: string) {
  const redis = createClient({ url });
  await redis.connect();
  const sha = await redis.scriptLoad(DELIVER_SCRIPT);
  const args = (id: string) => [id, String(TIMELINE_MAX), String(timelineTrimAt(TIMELINE_MAX)), String(INLINE_FOLLOWERS)];
  return (id: string) => redis.evalSha(sha, { keys: [], arguments: args(id) });
}

async function handlerOf(kind: string | undefined) {
  if (kind === 'node') return plainHandler();
  if (kind === 'express' || kind === 'express-helmet') return expressApp(kind === 'express-helmet');
  if (kind === 'inline') return plainHandler(await inlineDeliver(redisUrl ?? ''));
  return undefined;
}

const handler = await handlerOf(kind);
if (!handler) throw new Error(`floor-server: unknown kind "${kind}" (node, express, express-helmet or inline)`);
const server = createServer(handler);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => process.exit(0));
