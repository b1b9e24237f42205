import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

export interface Metrics {
  registry: Registry;
  tweetsAccepted: Counter;
  tweetsRefused: Counter<'reason'>;
}

/** One registry per app, so several servers can run in one test process. */
export function createMetrics(redis: RedisClient): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'ripple_fanout_backlog',
    help: 'Outstanding follower deliveries: accepted, not yet delivered',
    registers: [registry],
    async collect() {
      this.set(Number((await redis.get(keys.backlog).catch(() => null)) ?? 0));
    },
  });
  return {
    registry,
    tweetsAccepted: new Counter({ name: 'ripple_tweets_accepted_total', help: 'Tweets answered 202 (new, not repeats)', registers: [registry] }),
    tweetsRefused: new Counter({
      name: 'ripple_tweets_refused_total',
      help: 'Tweets refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
