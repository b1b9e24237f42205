import {
  agreeOnSettingsOrExit,
  connectProcessClients,
  createLogger,
  createRippleRedis,
  describeRedisTarget,
  readConfigOrExit,
  startProcessCpuReport,
  stopOnSignals,
} from '@ripple/shared/node';
import { agreedWorkerSettings, readWorkerConfig } from './config.js';
import { startConsumer } from './consumer.js';

const log = createLogger('worker');
const config = readConfigOrExit(() => readWorkerConfig(), 'worker');

// The fan-out path runs thousands of commands a second; per-command timers cost real CPU there.
const redis = createRippleRedis(config.redis, { commandTimeoutMs: 0 });
const reader = redis.duplicate();
await connectProcessClients(log, [redis, reader]);
// Before taking any work: a worker that disagrees on TIMELINE_MAX or the claim time must not start.
const agreement = await agreeOnSettingsOrExit(redis, 'worker', agreedWorkerSettings(config), { log, holderId: config.consumerName });

const consumer = startConsumer({ reader, redis, config, log });
const cpuReport = startProcessCpuReport(redis, 'worker', config.consumerName, undefined, () => consumer.work());
log.info({ consumer: config.consumerName, redis: describeRedisTarget(config.redis) }, 'worker started');

stopOnSignals({
  log,
  stopping: 'stopping: finishing the current page and handing back the chunk',
  // A Redis that hangs must not keep the worker alive: its chunk stays pending and is claimed.
  graceMs: 8000,
  async stop() {
    await consumer.stop();
    await cpuReport.stop();
    // After the hand-back, which waits out a short outage, so that letting go reaches Redis too.
    await agreement.release();
    await Promise.allSettled([redis.close(), reader.close()]);
  },
});
