/**
 * `npm run bench`: post → fanout:done for one tweet to N followers, with 1, 2 and 4 worker
 * processes, measured from outside like a user would (HTTP post, Socket.IO done event).
 * Starts its own redis-server (append-only file on, as `npm start` runs it) on a free port,
 * one server process and the workers; prints a table and saves JSON under bench/results/.
 *
 *   npm run bench -- --followers 100000 --workers 1,2,4 --runs 3
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { io as connect } from 'socket.io-client';
import type { AuthResponse, FanoutDone, PostTweetResponse } from '@ripple/shared';
import { startRedis } from '../test/support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../test/support/processes.js';

const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npm run bench -- [--followers 100000[,1000000]] [--workers 1,2,4] [--runs 3]');
  process.exit(0);
}
const followerCounts = values.followers.split(',').map(Number);
const workerCounts = values.workers.split(',').map(Number);
const runs = Number(values.runs);

interface Result {
  followers: number;
  workers: number;
  /** Post sent → fanout:done received by the author's socket, per run, ms. */
  postToDoneMs: number[];
  medianMs: number;
  /** Followers ÷ median seconds. */
  deliveriesPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function api<T>(base: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const redis = await startRedis({ appendOnly: true });
const server = await spawnServer(redis.url);
const results: Result[] = [];
try {
  for (const followers of followerCounts) {
    for (const workerCount of workerCounts) {
      const workers: RippleProcess[] = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(redis.url)));
      const author = await api<AuthResponse>(server.url, '/api/users', null, {
        handle: `bench_${workerCount}_${Date.now().toString(36)}`,
        password: 'benchmark',
      });
      for (let left = followers; left > 0; left -= 1_000_000) {
        await api(server.url, '/api/me/followers/synthetic', author.token, { count: Math.min(left, 1_000_000) });
      }
      const socket = connect(server.url, { auth: { token: author.token }, transports: ['websocket'] });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        const { job } = await api<PostTweetResponse>(server.url, '/api/tweets', author.token, { text: `bench ${run}` });
        await new Promise<void>((resolve) => {
          const onDone = (done: FanoutDone) => {
            if (done.jobId !== job.id) return;
            socket.off('fanout:done', onDone);
            resolve();
          };
          socket.on('fanout:done', onDone);
        });
        times.push(performance.now() - started);
      }
      socket.close();
      await Promise.all(workers.map((w) => w.stop()));
      const medianMs = median(times);
      const result = { followers, workers: workerCount, postToDoneMs: times.map(Math.round), medianMs: Math.round(medianMs), deliveriesPerSecond: Math.round(followers / (medianMs / 1000)) };
      results.push(result);
      console.log(
        `${String(followers).padStart(9)} followers  ${workerCount} worker(s)  post→done median ${String(result.medianMs).padStart(6)} ms  ` +
          `${result.deliveriesPerSecond.toLocaleString('en-US').padStart(9)} deliveries/s  runs: ${result.postToDoneMs.join(', ')} ms`,
      );
    }
  }
} finally {
  await server.stop();
  await redis.stop();
}

const out = new URL(`./results/fan-out-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(out, JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, runs, results }, null, 2));
console.log(`saved ${out.pathname}`);
