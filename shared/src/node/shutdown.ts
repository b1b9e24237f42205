import type { Logger } from './logger.js';

export interface ShutdownOptions {
  log: Logger;
  /** Logged when a signal arrives: what stopping means for this process. */
  stopping: string;
  /** Finishes the process's work and closes its connections. */
  stop: () => Promise<void>;
  /** If `stop` has not finished by then (e.g. Redis hangs), the process exits 1 anyway. */
  graceMs: number;
}

/** SIGTERM and SIGINT stop the process once, cleanly: exit 0 after `stop`, or 1 after the grace. */
export function stopOnSignals({ log, stopping, stop, graceMs }: ShutdownOptions): void {
  let started = false;
  const shutdown = async (signal: string) => {
    if (started) return;
    started = true;
    log.info({ signal }, stopping);
    setTimeout(() => process.exit(1), graceMs).unref();
    await stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
