import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '@ripple/shared';
import { AGREEMENT_HOLD_MS, agreeOnSettings, createLogger, type RedisClient, type RedisTarget } from '@ripple/shared/node';
import { killRedisUnderTest, restartRedisUnderTest, startRedisUnderTest } from './support/redis-under-test.js';
import { spawnServer, spawnWorker, type RippleProcess } from './support/processes.js';
import { connectedClient, TEST_TOKEN_SECRET } from './support/ripple.js';

/** Everything a test started, stopped afterwards whatever happened. */
const started: { procs: RippleProcess[]; redis: { stop(): Promise<void> }[]; clients: RedisClient[] } = { procs: [], redis: [], clients: [] };
afterEach(async () => {
  await Promise.all(started.procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.allSettled(started.clients.splice(0).map((c) => c.close()));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
});

const root = fileURLToPath(new URL('..', import.meta.url));

async function redisForTest(): Promise<RedisTarget> {
  const redis = await startRedisUnderTest();
  started.redis.push(redis);
  return redis.target;
}

async function server(target: RedisTarget, env: Record<string, string> = {}): Promise<RippleProcess> {
  const proc = await spawnServer(target, env);
  started.procs.push(proc);
  return proc;
}

async function worker(target: RedisTarget, env: Record<string, string> = {}): Promise<RippleProcess> {
  const proc = await spawnWorker(target, env);
  started.procs.push(proc);
  return proc;
}

/**
 * Runs `npm run server` or `npm run worker` that is expected to refuse to start: resolves with
 * its exit code and what it wrote to stderr, or rejects if it is still running after 20 s.
 */
function refusedStart(role: 'server' | 'worker', target: RedisTarget, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const redisEnv = target.kind === 'single' ? { REDIS_URL: target.url } : { REDIS_CLUSTER_NODES: target.nodes };
  const child = spawn(process.execPath, ['--import', 'tsx', `${role}/src/main.ts`], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', RIPPLE_TOKEN_SECRET: TEST_TOKEN_SECRET, PORT: '0', ...redisEnv, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} with ${JSON.stringify(env)} started instead of refusing:\n${stderr}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('settings every process must agree on', () => {
  it('a worker whose TIMELINE_MAX differs from the running server refuses to start, naming the setting and both values', async () => {
    const target = await redisForTest();
    await server(target, { TIMELINE_MAX: '800' });
    const refused = await refusedStart('worker', target, { TIMELINE_MAX: '900' });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'ripple worker: TIMELINE_MAX=900 differs from TIMELINE_MAX=800, which the Ripple processes already running on this Redis use; ' +
        'every server and worker must use the same TIMELINE_MAX (to change it, stop them all first)',
    );
  });

  it('a second server with another TIMELINE_MAX refuses too, while servers and workers with the same values all start', async () => {
    const target = await redisForTest();
    await server(target, { TIMELINE_MAX: '50' });
    const refused = await refusedStart('server', target, { TIMELINE_MAX: '800' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ripple server: TIMELINE_MAX=800 differs from TIMELINE_MAX=50');

    // Settings that shape only one process's own work may differ.
    await server(target, { TIMELINE_MAX: '50', FANOUT_CHUNK_SIZE: '500' });
    await worker(target, { TIMELINE_MAX: '50', FANOUT_PAGE_SIZE: '10' });
    await worker(target, { TIMELINE_MAX: '50', FANOUT_PAGE_SIZE: '2000', FANOUT_MAX_ATTEMPTS: '2' });
  });

  it('workers agree on FANOUT_CLAIM_IDLE_MS among themselves; a server, which does not read it, does not hold it', async () => {
    const target = await redisForTest();
    await server(target);
    const first = await worker(target, { FANOUT_CLAIM_IDLE_MS: '1000' });
    const refused = await refusedStart('worker', target, { FANOUT_CLAIM_IDLE_MS: '2000' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FANOUT_CLAIM_IDLE_MS=2000 differs from FANOUT_CLAIM_IDLE_MS=1000');

    // With the one worker that read it gone, the server still running does not keep the old value.
    expect(await first.stop('SIGTERM')).toBe(0);
    await worker(target, { FANOUT_CLAIM_IDLE_MS: '2000' });
  });

  it('once every process has stopped, a new TIMELINE_MAX is accepted at once', async () => {
    const target = await redisForTest();
    const procs = [await server(target), await worker(target), await worker(target)];
    for (const proc of procs) expect(await proc.stop('SIGTERM')).toBe(0);

    await server(target, { TIMELINE_MAX: '100' });
    await worker(target, { TIMELINE_MAX: '100' });
    const redis = await connectedClient(target);
    started.clients.push(redis);
    expect(await redis.hGet(keys.agreedSettings, 'TIMELINE_MAX')).toBe('100');
  });

  it('a process that died without letting go holds its values only until its hold runs out', async () => {
    const target = await redisForTest();
    const redis = await connectedClient(target);
    started.clients.push(redis);
    const died = await server(target);
    const ttlMs = await redis.pTTL(keys.agreedSettings);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(AGREEMENT_HOLD_MS);

    await died.stop('SIGKILL');
    expect((await refusedStart('server', target, { TIMELINE_MAX: '100' })).code).toBe(1);
    await expect.poll(() => redis.exists(keys.agreedSettings), { timeout: AGREEMENT_HOLD_MS + 2_000, interval: 250 }).toBe(0);
    await server(target, { TIMELINE_MAX: '100' });
  });

  it('a process that starts while Redis is down for a moment waits for it instead of dying on the way in', async () => {
    const redis = await startRedisUnderTest({ appendOnly: true });
    started.redis.push(redis);
    const client = await connectedClient(redis.target);
    started.clients.push(client);
    client.on('error', () => {});
    await killRedisUnderTest(redis);
    const agreeing = agreeOnSettings(client, 'worker', { TIMELINE_MAX: '800' }, { log: createLogger('worker') });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await restartRedisUnderTest(redis);
    const hold = await agreeing;
    await expect.poll(() => client.exists(keys.agreedSettings)).toBe(1);
    await hold.release();
  });
});
