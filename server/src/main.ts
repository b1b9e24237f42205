import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
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
import { agreedServerSettings, readServerConfig } from './config.js';
import { createRippleServer } from './server.js';
import { tokenSecretFor } from './tokens.js';

const log = createLogger('server');
const config = { ...readConfigOrExit(() => readServerConfig(), 'server'), clientDir: fileURLToPath(new URL('../../client/dist', import.meta.url)) };
try {
  config.tokenSecret = tokenSecretFor(config.tokenSecret, process.env.NODE_ENV);
} catch (err) {
  // One line naming the setting, as for any setting that stops the start.
  process.stderr.write(`ripple server: ${(err as Error).message}\n`);
  process.exit(1);
}

// No per-command timer: node-redis arms one for every command by default (an AbortSignal.timeout,
// which fires even after the reply), and it only ever bounds a command still waiting to be
// written. The request deadline (app.ts) answers every request within 10 s, whatever Redis does.
const redis = createRippleRedis(config.redis, { commandTimeoutMs: 0 });
const reader = redis.duplicate();
await connectProcessClients(log, [redis, reader]);
// Before serving anything: a server that trims timelines to another length than the workers must not start.
const agreement = await agreeOnSettingsOrExit(redis, 'server', agreedServerSettings(config), { log });

const server = await createRippleServer({ redis, reader, config, log });
const cpuReport = startProcessCpuReport(redis, 'server', `${hostname()}:${process.pid}`);
const url = await server.listen(config.port, config.host);
log.info({ url, host: config.host, redis: describeRedisTarget(config.redis) }, `Ripple listening on http://localhost:${config.port}`);

stopOnSignals({
  log,
  stopping: 'stopping: closing sockets and finishing in-flight requests',
  // In-flight requests get a few seconds; then the process goes anyway.
  graceMs: 5000,
  async stop() {
    await server.close();
    await cpuReport.stop();
    await agreement.release();
    await Promise.allSettled([redis.close(), reader.close()]);
  },
});
