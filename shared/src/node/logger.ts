import { pino, type Logger } from 'pino';

export type { Logger };

/** The one structured logger of server and worker processes. */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info') });
}
