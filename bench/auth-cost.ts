/**
 * What sign-in costs: one argon2id hash and one verify at the parameters of server/src/passwords.ts,
 * and the latency of POST /api/sessions with a wrong password for a known and for an unknown
 * handle (which must be alike), on a throwaway redis-server. Medians of `ROUNDS` each.
 *
 *   npx tsx bench/auth-cost.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashPassword, verifyPassword } from '../server/src/passwords.js';
import { startRedis } from '../test/support/redis-server.js';
import { createTestApp } from '../test/support/ripple.js';

const ROUNDS = 25;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function series(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await timed(run));
  return median(times);
}

const stored = await hashPassword('correct horse battery');
const hashMs = await series(() => hashPassword('correct horse battery'));
const verifyMs = await series(() => verifyPassword('correct horse battery', stored));

const redis = await startRedis();
const node = await createTestApp(redis.url, { signInsPerMinute: 1_000_000, signUpsPerHour: 0 });
const server = createServer((req, res) => node.app.emit('request', req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
await post('/api/users', { handle: 'bench_owner', password: 'correct horse battery' });
const knownMs = await series(() => post('/api/sessions', { handle: 'bench_owner', password: 'a wrong password' }));
let unknown = 0;
const unknownMs = await series(() => post('/api/sessions', { handle: `nobody_${unknown++}`, password: 'a wrong password' }));
const rightMs = await series(() => post('/api/sessions', { handle: 'bench_owner', password: 'correct horse battery' }));

console.log(
  JSON.stringify({
    rounds: ROUNDS,
    hashMs: +hashMs.toFixed(1),
    verifyMs: +verifyMs.toFixed(1),
    signIn: { wrongPasswordMs: +knownMs.toFixed(1), unknownHandleMs: +unknownMs.toFixed(1), rightPasswordMs: +rightMs.toFixed(1) },
  }),
);
server.close();
await node.close();
await redis.stop();
