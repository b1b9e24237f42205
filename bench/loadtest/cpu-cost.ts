/**
 * CPU per accepted tweet, by part of the stack, read from outside: every server and worker
 * publishes its CPU time and /metrics shows them with Redis's own (INFO cpu), so two readings
 * around the posting phase say what the phase cost each part. The load tester's own CPU is
 * counted too: on a shared box it competes for the same cores.
 */

/** CPU seconds since each process started, as /metrics last showed them. */
export interface CpuReading {
  /** `role:name` → CPU seconds, and when the process took that reading (ms), for every server and worker. */
  processes: Map<string, { seconds: number; at: number | null }>;
  /** Redis main processes (every master on a cluster), summed. */
  redisS: number;
  /** Their forks (AOF rewrites), summed. */
  redisForksS: number;
  /** This load tester's own process. */
  loadGeneratorS: number;
  /** When it was taken (ms). */
  at: number;
}

/** What the posting phase cost, in ms of CPU per accepted tweet, and in cores kept busy. */
export interface CpuCost {
  tweets: number;
  seconds: number;
  perTweetMs: { server: number; workers: number; redis: number; redisForks: number; total: number; loadGenerator: number };
  cores: { server: number; workers: number; redis: number; redisForks: number; loadGenerator: number };
  processes: { server: number; worker: number };
}

const sample = (name: string, text: string): { labels: Record<string, string>; value: number }[] => {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const match of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`, 'gm'))) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const value = Number(match[2]);
    if (Number.isFinite(value)) out.push({ labels, value });
  }
  return out;
};

/** A reading from /metrics text; null when the server does not publish CPU (an older Ripple). */
export function parseCpuReading(prometheusText: string, loadGeneratorS: number, at: number): CpuReading | null {
  const processes = sample('ripple_process_cpu_seconds_total', prometheusText);
  const reportedAt = new Map(
    sample('ripple_process_cpu_reported_at_seconds', prometheusText).map((r) => [`${r.labels.role}:${r.labels.process}`, r.value * 1000]),
  );
  const redis = sample('ripple_redis_cpu_seconds_total', prometheusText);
  if (processes.length === 0 && redis.length === 0) return null;
  const sum = (part: string) => redis.filter((r) => r.labels.part === part).reduce((s, r) => s + r.value, 0);
  return {
    processes: new Map(
      processes.map((p) => {
        const key = `${p.labels.role}:${p.labels.process}`;
        return [key, { seconds: p.value, at: reportedAt.get(key) ?? null }];
      }),
    ),
    redisS: sum('main'),
    redisForksS: sum('children'),
    loadGeneratorS,
    at,
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The cost between two readings. A process reports about once a second, so its two figures can
 * each be up to a second old: its CPU is taken as its rate over its own interval, times the
 * window. A process that started in between, or restarted under the same name, counts from 0;
 * one that ended in between is missing from `end` and not counted.
 */
export function cpuCost(start: CpuReading, end: CpuReading, tweets: number): CpuCost {
  const byRole = { server: 0, worker: 0 };
  const count = { server: 0, worker: 0 };
  const windowMs = end.at - start.at;
  for (const [key, last] of end.processes) {
    const role = key.slice(0, key.indexOf(':')) as 'server' | 'worker';
    if (!(role in byRole)) continue;
    const first = start.processes.get(key);
    const restarted = !first || last.seconds < first.seconds;
    const used = restarted ? last.seconds : last.seconds - first.seconds;
    const ownMs = !restarted && first.at !== null && last.at !== null ? last.at - first.at : 0;
    byRole[role] += ownMs > 0 ? (used * windowMs) / ownMs : used;
    count[role]++;
  }
  const used = {
    server: byRole.server,
    workers: byRole.worker,
    redis: Math.max(0, end.redisS - start.redisS),
    redisForks: Math.max(0, end.redisForksS - start.redisForksS),
    loadGenerator: Math.max(0, end.loadGeneratorS - start.loadGeneratorS),
  };
  const wallS = Math.max(0.001, (end.at - start.at) / 1000);
  const perTweet = (s: number) => (tweets > 0 ? round3((s * 1000) / tweets) : 0);
  const cores = (s: number) => round3(s / wallS);
  return {
    tweets,
    seconds: round3(wallS),
    perTweetMs: {
      server: perTweet(used.server),
      workers: perTweet(used.workers),
      redis: perTweet(used.redis),
      redisForks: perTweet(used.redisForks),
      total: perTweet(used.server + used.workers + used.redis + used.redisForks),
      loadGenerator: perTweet(used.loadGenerator),
    },
    cores: {
      server: cores(used.server),
      workers: cores(used.workers),
      redis: cores(used.redis),
      redisForks: cores(used.redisForks),
      loadGenerator: cores(used.loadGenerator),
    },
    processes: count,
  };
}

/** One line per part, for the text report. */
export function formatCpuCost(cost: CpuCost): string {
  const p = cost.perTweetMs;
  const c = cost.cores;
  return [
    `CPU per accepted tweet over the posting phase (${cost.tweets} tweets in ${cost.seconds.toFixed(1)} s; ms of CPU, and cores kept busy;`,
    '  work still in the backlog when posting stopped is not counted):',
    `  server (${cost.processes.server})  ${p.server.toFixed(3)} ms  ${c.server.toFixed(2)} cores`,
    `  workers (${cost.processes.worker}) ${p.workers.toFixed(3)} ms  ${c.workers.toFixed(2)} cores`,
    `  redis       ${p.redis.toFixed(3)} ms  ${c.redis.toFixed(2)} cores` + (p.redisForks > 0 ? `  (+ forks ${p.redisForks.toFixed(3)} ms)` : ''),
    `  total       ${p.total.toFixed(3)} ms`,
    `  load generator ${p.loadGenerator.toFixed(3)} ms  ${c.loadGenerator.toFixed(2)} cores (not in the total)`,
  ].join('\n');
}
