import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { spawnServer, spawnWorker, type RippleProcess } from './processes.js';
import { startRedisUnderTest, type RedisUnderTestHandle } from './redis-under-test.js';

export interface BrowserStackOptions {
  /** Extra environment of the server process. @defaultValue none */
  serverEnv?: Record<string, string>;
  /**
   * Extra environment of the worker started with the stack, or `false` to start none, for a
   * test that wants work to pile up before it calls `addWorker`.
   * @defaultValue none: one worker with the defaults
   */
  workerEnv?: Record<string, string> | false;
}

/**
 * What a browser test runs against: a private Redis (a cluster in the `e2e-cluster` project),
 * one server node, its workers, and Chromium.
 */
export interface BrowserStack {
  redis: RedisUnderTestHandle;
  server: RippleProcess & { url: string };
  /** Every worker running, the one started with the stack first. */
  workers: RippleProcess[];
  browser: Browser;
  /** Starts another worker against the stack's Redis; `stop` stops it with the rest. */
  addWorker(env?: Record<string, string>): Promise<RippleProcess>;
  /** Closes the browser, then stops every process, Redis last; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts the whole stack, Chromium beside the processes. When any part fails to start, the
 * parts that did start are stopped before the error is thrown: the test's `afterAll` never
 * received a stack, so nobody else could stop them.
 */
export async function startBrowserStack({ serverEnv = {}, workerEnv = {} }: BrowserStackOptions = {}): Promise<BrowserStack> {
  const parts: { redis?: RedisUnderTestHandle; server?: RippleProcess & { url: string }; browser?: Browser; workers: RippleProcess[] } = { workers: [] };
  const stop = async () => {
    // Server and workers go before Redis, so they stop cleanly instead of retrying a lost connection.
    await Promise.allSettled([parts.browser?.close(), parts.server?.stop(), ...parts.workers.map((worker) => worker.stop())]);
    await parts.redis?.stop();
  };

  try {
    await allStarted([
      launchChromium().then((browser) => (parts.browser = browser)),
      startRedisUnderTest().then((redis) => {
        parts.redis = redis;
        return allStarted([
          spawnServer(redis.target, serverEnv).then((server) => (parts.server = server)),
          workerEnv === false ? undefined : spawnWorker(redis.target, workerEnv).then((worker) => parts.workers.push(worker)),
        ]);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  const { redis, server, browser, workers } = parts;
  if (!redis || !server || !browser) throw new Error('browser stack: a part reported started but is missing');
  return {
    redis,
    server,
    workers,
    browser,
    async addWorker(env = {}) {
      const worker = await spawnWorker(redis.target, env);
      workers.push(worker);
      return worker;
    },
    stop,
  };
}

/**
 * Waits for every start to settle, failed or not, then throws the first failure. `Promise.all`
 * would throw at the first failure while the other starts run on, and whatever they start
 * after that would be left running, since cleanup has already happened.
 */
async function allStarted(starts: readonly unknown[]): Promise<void> {
  const outcomes = await Promise.allSettled(starts);
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}
