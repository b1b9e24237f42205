import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FANOUT_DURATION_BUCKETS_MS, fanoutDurationsField, jobDeliverySchema, REFUSAL_REASONS, statsField } from '@ripple/shared';
import { readProcessCpu, readRedisCpu, type RedisClient } from '@ripple/shared/node';
import { hashingLoad } from './passwords.js';
import { readBacklog, readCounters, readDurationHistogram } from './store/bucket-totals.js';

export interface Metrics {
  /** Prometheus text: this process's metrics and the cluster-wide ones read from Redis. */
  render(): Promise<{ contentType: string; body: string }>;
  /** Records how long this node took to answer one request, by route pattern. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/** Reads a counter kept in the shared stats hash, setting a prom-client counter to its value. */
function fromStats(counter: Counter<string>, value: number | undefined, labels: Record<string, string> = {}): void {
  counter.reset();
  counter.inc(labels, value ?? 0);
}

/** The fan-out duration histogram, kept in Redis by the workers, in Prometheus text. */
function durationHistogram(stored: Record<string, number>): string {
  const name = 'ripple_fanout_duration_seconds';
  const lines = [`# HELP ${name} Time from post to fanout:done, across all workers`, `# TYPE ${name} histogram`];
  let cumulative = 0;
  for (const bound of FANOUT_DURATION_BUCKETS_MS) {
    cumulative += Number(stored[fanoutDurationsField.bucket(bound)] ?? 0);
    lines.push(`${name}_bucket{le="${bound / 1000}"} ${cumulative}`);
  }
  cumulative += Number(stored[fanoutDurationsField.bucket('+Inf')] ?? 0);
  lines.push(`${name}_bucket{le="+Inf"} ${cumulative}`);
  lines.push(`${name}_sum ${Number(stored[fanoutDurationsField.sum] ?? 0) / 1000}`, `${name}_count ${Number(stored[fanoutDurationsField.count] ?? 0)}`);
  return lines.join('\n') + '\n';
}

/**
 * CPU of every process (each publishes its own, process-cpu.ts) and of Redis: what a load test
 * divides by the tweets accepted to put a cost on each part. `refresh` reads them before a
 * scrape; the metrics then take that one reading as a whole, so a process's CPU and the time of
 * its report always come from the same report, however scrapes overlap.
 */
function registerCpuMetrics(registry: Registry, redis: RedisClient): { refresh(): Promise<void> } {
  let processes: Awaited<ReturnType<typeof readProcessCpu>> = [];
  let nodes: Awaited<ReturnType<typeof readRedisCpu>> = [];
  new Counter({
    name: 'ripple_process_cpu_seconds_total',
    help: 'CPU time (user + system) of every live server and worker process, as each last reported it (about every second)',
    labelNames: ['role', 'process'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of processes) this.inc({ role: p.role, process: p.name }, p.cpuSeconds);
    },
  });
  // A report can be up to a second old: with its time, a reader can take each process's rate
  // over its own interval.
  new Gauge({
    name: 'ripple_process_cpu_reported_at_seconds',
    help: 'When each process last reported its CPU time (seconds since the epoch, its own clock)',
    labelNames: ['role', 'process'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of processes) this.set({ role: p.role, process: p.name }, p.at / 1000);
    },
  });
  new Counter({
    name: 'ripple_redis_cpu_seconds_total',
    help: 'CPU time (user + system) of each Redis (every master on a cluster): its main process, and its forks (AOF rewrites)',
    labelNames: ['node', 'part'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of nodes) {
        if (Number.isFinite(r.cpuSeconds)) this.inc({ node: r.node, part: 'main' }, r.cpuSeconds);
        if (Number.isFinite(r.childrenCpuSeconds)) this.inc({ node: r.node, part: 'children' }, r.childrenCpuSeconds);
      }
    },
  });
  return {
    async refresh() {
      const [p, n] = await Promise.all([readProcessCpu(redis).catch(() => []), readRedisCpu(redis).catch(() => [])]);
      processes = p;
      nodes = n;
    },
  };
}

/**
 * Cluster-wide numbers come from the one source every node shares (the stats hash in Redis),
 * so any node's /metrics and the dashboard agree; process metrics are this node's own.
 */
export function createMetrics(redis: RedisClient): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let stats: Record<string, number> = {};

  let redisUp = true;
  new Gauge({
    name: 'ripple_redis_up',
    help: '1 when this node could read from Redis at the last scrape, else 0',
    registers: [registry],
    collect() {
      this.set(redisUp ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ripple_password_hashes',
    help: 'Password hashes on this node (sign-in, sign-up): running, and waiting for a core; a long wait is sign-ins queueing',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { running, waiting } = hashingLoad();
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  new Gauge({
    name: 'ripple_fanout_backlog',
    help: 'Outstanding follower deliveries: accepted, not yet delivered (NaN when Redis is unreachable)',
    registers: [registry],
    async collect() {
      const backlog = await readBacklog(redis).catch(() => undefined);
      this.set(backlog ?? Number.NaN);
    },
  });
  new Counter({
    name: 'ripple_tweets_accepted_total',
    help: 'Tweets accepted (202, not counting idempotent repeats)',
    registers: [registry],
    collect() {
      fromStats(this, stats[statsField.accepted]);
    },
  });
  new Counter({
    name: 'ripple_tweets_refused_total',
    help: 'Tweets refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of REFUSAL_REASONS) this.inc({ reason }, stats[statsField.refused(reason)] ?? 0);
    },
  });
  new Counter({
    name: 'ripple_tweets_admitted_total',
    help: 'Tweets sent on their way, by delivery mode (fan-out, inline, on-read): when posted, or a scheduled one when published',
    labelNames: ['delivery'],
    registers: [registry],
    collect() {
      this.reset();
      for (const delivery of jobDeliverySchema.options) this.inc({ delivery }, stats[statsField.delivery(delivery)] ?? 0);
    },
  });
  new Counter({
    name: 'ripple_deliveries_total',
    help: 'Tweets written into follower timelines',
    registers: [registry],
    collect() {
      fromStats(this, stats[statsField.delivered]);
    },
  });
  new Counter({
    name: 'ripple_fanout_jobs_total',
    help: 'Fan-out jobs finished, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ outcome: 'done' }, stats[statsField.jobsDone] ?? 0);
      this.inc({ outcome: 'failed' }, stats[statsField.jobsFailed] ?? 0);
    },
  });
  new Counter({
    name: 'ripple_admission_unreplicated_total',
    help: 'Tweets accepted on a Redis Cluster master that no replica confirmed within the admission wait (README, "Loss window")',
    registers: [registry],
    collect() {
      fromStats(this, stats[statsField.unreplicated]);
    },
  });
  new Counter({
    name: 'ripple_fanout_chunks_unreplicated_total',
    help: 'Fan-out chunks on a Redis Cluster reported complete though no replica confirmed their pages within 100 ms (README, "Loss window")',
    registers: [registry],
    collect() {
      fromStats(this, stats[statsField.chunksUnreplicated]);
    },
  });
  new Counter({
    name: 'ripple_claims_total',
    help: "Fan-out entries a worker took over after they waited too long in another worker's hands",
    registers: [registry],
    collect() {
      fromStats(this, stats[statsField.claims]);
    },
  });

  const cpu = registerCpuMetrics(registry, redis);

  const requestDuration = new Histogram({
    name: 'ripple_http_request_duration_seconds',
    help: 'Time this node took to answer a request, from arrival to the last byte',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });

  return {
    observeRequest(method, route, status, seconds) {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
    async render() {
      let durations: Record<string, number> = {};
      try {
        [stats, durations] = await Promise.all([readCounters(redis), readDurationHistogram(redis), cpu.refresh()]);
        redisUp = true;
      } catch {
        redisUp = false;
        stats = {};
      }
      return { contentType: registry.contentType, body: (await registry.metrics()) + durationHistogram(durations) };
    },
  };
}
