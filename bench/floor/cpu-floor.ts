/**
 * `npm run bench -- --floor`: the least a tweet can cost on this box, as the yardstick for
 * Ripple's CPU per tweet (issue #13). Each way of answering a tweet's POST in floor-server.ts
 * runs as its own process and is driven like the load test drives Ripple: an open loop of
 * keep-alive POSTs at a constant rate, after a warm-up that is not counted. It reports, per way,
 * the CPU per request of the process (from its own process.cpuUsage()) and of Redis (INFO cpu,
 * main thread), and the latency from each request's intended send time.
 *
 * The Redis is a fresh redis-server with the append-only file on, as `npm start` runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { startRedis } from '../../test/support/redis-server.js';
import { startOpenLoop } from '../loadtest/open-loop.js';

export interface FloorOptions {
  rate: number;
  durationS: number;
  warmupS: number;
}

interface FloorRow {
  kind: string;
  requests: number;
  serverMsPerRequest: number;
  redisMsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

const KINDS = ['node', 'express', 'express-helmet', 'inline'] as const;
const BODY = JSON.stringify({ text: 'the least a tweet can cost' });

async function startFloorServer(kind: string, redisUrl: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./floor-server.ts', import.meta.url).pathname, kind, redisUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^ready (\d+)$/.exec(line);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`floor server "${kind}" exited before it listened`);
}

function post(agent: Agent, port: number, path: string, method = 'POST'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, port, host: '127.0.0.1', path, method, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 202 || res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? BODY : undefined);
  });
}

const serverMicros = async (agent: Agent, port: number) => (JSON.parse(await post(agent, port, '/cpu', 'GET')) as { micros: number }).micros;

async function redisCpuSeconds(url: string): Promise<number> {
  const redis = createClient({ url });
  await redis.connect();
  const info = await redis.info('cpu');
  await redis.quit();
  const field = (name: string) => Number(info.match(new RegExp(`^${name}:([\\d.]+)`, 'm'))?.[1]);
  return field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
}

/** Sends `rate × seconds` POSTs on the open-loop schedule; answers each one's latency from its intended time, in ms. */
async function drive(agent: Agent, port: number, rate: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const loop = startOpenLoop({
    rate,
    durationS: seconds,
    fire: ({ intendedAt }) => {
      pending.push(post(agent, port, '/api/tweets').then(() => void latencies.push(performance.now() - intendedAt)));
    },
  });
  await loop.finished;
  await Promise.all(pending);
  return latencies;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function measureKind(kind: string, redisUrl: string, options: FloorOptions): Promise<FloorRow> {
  const { child, port } = await startFloorServer(kind, redisUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await drive(agent, port, options.rate, options.warmupS);
    const [serverBefore, redisBefore] = [await serverMicros(agent, port), await redisCpuSeconds(redisUrl)];
    const latencies = await drive(agent, port, options.rate, options.durationS);
    const [serverAfter, redisAfter] = [await serverMicros(agent, port), await redisCpuSeconds(redisUrl)];
    latencies.sort((a, b) => a - b);
    return {
      kind,
      requests: latencies.length,
      serverMsPerRequest: (serverAfter - serverBefore) / 1000 / latencies.length,
      redisMsPerRequest: ((redisAfter - redisBefore) * 1000) / latencies.length,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
    };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

export async function measureFloor(options: FloorOptions): Promise<FloorRow[]> {
  const redis = await startRedis({ appendOnly: true });
  try {
    const rows: FloorRow[] = [];
    for (const kind of KINDS) rows.push(await measureKind(kind, redis.url, options));
    return rows;
  } finally {
    await redis.stop();
  }
}

export function formatFloor(rows: FloorRow[], options: FloorOptions): string {
  const lines = [
    `The floor: CPU per request of the least each way can do (${options.rate} POST/s for ${options.durationS} s, after ${options.warmupS} s not counted)`,
    'way            requests   server ms   redis ms   total ms   p50 ms   p99 ms',
  ];
  for (const r of rows) {
    const total = r.serverMsPerRequest + r.redisMsPerRequest;
    lines.push(
      `${r.kind.padEnd(14)} ${String(r.requests).padStart(8)} ${r.serverMsPerRequest.toFixed(3).padStart(11)} ${r.redisMsPerRequest.toFixed(3).padStart(10)} ${total.toFixed(3).padStart(10)} ${r.p50Ms.toFixed(1).padStart(8)} ${r.p99Ms.toFixed(1).padStart(8)}`,
    );
  }
  return lines.join('\n');
}
