import { EVENTS_MAX_LEN, IDEMPOTENCY_TTL_S, JOB_RETENTION_S } from '@ripple/shared';
import type { CheckResult } from './checks.js';
import type { KeyCensus } from './key-census.js';
import type { Ledger } from './ledger.js';
import { judgeTrend, trendAfter, type Trend, type Verdict } from './memory-trend.js';
import type { BookkeepingReading, RssSeries } from './samplers.js';

/** The soak's definition of a leak, in the words the JSON report carries. */
export const LEAK_DEFINITION =
  "Redis's total memory grows by design (tweets, timelines) and is not judged. Job records (25 h) and idempotency keys (24 h) are kept " +
  'one per tweet on purpose, and the chunk cursors of a job (one per bucket of its followers) as long as its record. A leak is: a job ' +
  'record, chunk cursor, idempotency key or rate-limit window without a TTL, more job records or idempotency keys than accepted ' +
  'tweets, more chunk cursors than accepted tweets times buckets, or a TTL longer than promised; outstanding work (backlog, lane ' +
  'entries, pending entries, retries, dead letters, over every bucket) not back to 0 after the drain; an events stream past its ' +
  'trim length, heartbeats or consumer-group members of workers dead for minutes, online marks beyond the sockets held; or the RSS ' +
  'of a server or worker that was never killed growing by more than the threshold (least-squares MB/min after warm-up, judged over ' +
  '3 minutes or more).';

/**
 * "Leak", as the soak defines it. Redis's total memory grows by design (tweets and timelines);
 * so does bookkeeping that is kept for a while on purpose: one job record (25 h) and one
 * idempotency key (24 h) per tweet, and a job's chunk cursors, one hash per bucket holding
 * followers, as long as the job. A leak is bookkeeping that nothing will ever remove or that
 * does not return to its baseline:
 *  - a job record, chunk cursor, idempotency key or rate-limit window without a TTL, more job
 *    records or idempotency keys than accepted tweets, more cursors than accepted tweets times
 *    buckets (or TTLs longer than promised);
 *  - outstanding-work structures not back to zero (see `checkQueuesDrained`);
 *  - bounded structures past their bound: an events stream past its trim length, heartbeats
 *    and consumer-group members of workers dead for minutes, online marks of users without a
 *    socket;
 *  - RSS of a server or worker that was never restarted growing after warm-up.
 */

/** What the bookkeeping bounds depend on. */
export interface BookkeepingContext {
  /** Worker processes alive at the end. */
  liveWorkers: number;
  /**
   * Workers killed in the last few minutes: their heartbeat and consumer entries are only
   * forgotten a minute or two after death, by design.
   */
  recentlyKilledWorkers: number;
  /** Sockets the soak holds: an upper bound on users marked online. */
  sockets: number;
  /** Buckets of the data set's layout: each has its own two lanes and its own cursor per job. */
  buckets: number;
}

/** The approximate trim (`MAXLEN ~`) cuts whole stream nodes of up to 100 entries. */
const EVENTS_TRIM_SLACK = 100;

export function checkBookkeeping(census: KeyCensus, ledger: Ledger, final: BookkeepingReading | null, context: BookkeepingContext): CheckResult {
  const problems: string[] = [];
  const kinds = census.kinds;
  const jobs = new Set(ledger.accepted.map((t) => t.jobId)).size;
  const idempotencyKeys = new Set(ledger.accepted.map((t) => t.key)).size;

  const expiring = (kind: string, expected: number | null, maxTtlS: number | null) => {
    const k = kinds[kind]!;
    if (expected !== null && k.count !== expected) problems.push(`${k.count} ${kind} keys for ${expected} accepted tweets`);
    if (k.withoutTtl > 0) problems.push(`${k.withoutTtl} ${kind} keys without a TTL, e.g. ${k.example}`);
    if (maxTtlS !== null && (k.ttlMaxS ?? 0) > maxTtlS) problems.push(`${kind} keys with a TTL of ${k.ttlMaxS} s, over ${maxTtlS} s`);
  };
  expiring('job', jobs, JOB_RETENTION_S);
  expiring('idempotency', idempotencyKeys, IDEMPOTENCY_TTL_S);
  expiring('rate-limit', null, null);
  // A job has one cursor hash in each bucket whose followers it reached: none for a tweet nobody follows.
  expiring('cursor', null, JOB_RETENTION_S);
  if (kinds.cursor!.count > jobs * context.buckets)
    problems.push(`${kinds.cursor!.count} chunk cursor keys for ${jobs} accepted tweets in ${context.buckets} buckets`);

  const heartbeatBound = context.liveWorkers + context.recentlyKilledWorkers;
  if (final) {
    if (final.events > EVENTS_MAX_LEN + EVENTS_TRIM_SLACK) problems.push(`an events stream at ${final.events}, over its trim length ${EVENTS_MAX_LEN}`);
    if (final.workers > heartbeatBound) problems.push(`${final.workers} worker heartbeats for ${heartbeatBound} live or recently killed workers`);
    // Each worker is a consumer of both lanes of every bucket.
    const lanes = 2 * context.buckets;
    if (final.consumers > lanes * heartbeatBound)
      problems.push(`${final.consumers} consumers in the ${lanes} lanes' groups for ${heartbeatBound} live or recently killed workers`);
    if (final.online > context.sockets) problems.push(`${final.online} users marked online for ${context.sockets} sockets`);
  } else {
    problems.push('Redis could not be read at the end');
  }

  const k = (kind: string) => kinds[kind]!;
  return {
    name: 'bookkeeping: nothing kept forever',
    passed: problems.length === 0,
    summary:
      `${k('job').count} job records, ${k('cursor').count} chunk cursors and ${k('idempotency').count} idempotency keys for ${jobs} tweets, ` +
      `${k('job').withoutTtl + k('cursor').withoutTtl + k('idempotency').withoutTtl + k('rate-limit').withoutTtl} without TTL; ` +
      `events ${final?.events ?? '?'}, heartbeats ${final?.workers ?? '?'}, consumers ${final?.consumers ?? '?'}, online ${final?.online ?? '?'}; ` +
      `${census.unknown.count} keys of no known kind`,
    details: [...problems, ...(census.unknown.count > 0 ? [`keys of no known kind (reported, not judged): ${census.unknown.examples.join(', ')}`] : [])],
  };
}

/** One process's memory after warm-up, as the table shows it. */
export interface MemoryRow {
  name: string;
  role: RssSeries['role'];
  kind: RssSeries['kind'];
  pid: number;
  /** Times this slot was restarted; only never-restarted processes are judged. */
  restarts: number;
  trend: Trend;
  verdict: Verdict | 'not judged (restarted)';
}

/** The RSS trend of every slot's latest process after warm-up. */
export function memoryRows(series: readonly RssSeries[], warmUpMs: number, maxSlopeMbPerMin: number, minWindowMs?: number): MemoryRow[] {
  const names = [...new Set(series.map((s) => s.name))];
  return names.map((name) => {
    const lives = series.filter((s) => s.name === name);
    const latest = lives[lives.length - 1]!;
    const trend = trendAfter(latest.samples, warmUpMs);
    const judged = latest.role !== 'killed';
    return {
      name,
      role: latest.role,
      kind: latest.kind,
      pid: latest.pid,
      restarts: lives.length - 1,
      trend,
      verdict: judged ? judgeTrend(trend, maxSlopeMbPerMin, minWindowMs) : 'not judged (restarted)',
    };
  });
}

export function checkRss(rows: readonly MemoryRow[], maxSlopeMbPerMin: number): CheckResult {
  const judged = rows.filter((r) => r.verdict === 'flat' || r.verdict === 'growing');
  const growing = rows.filter((r) => r.verdict === 'growing');
  const slopes = rows
    .filter((r) => r.role !== 'killed')
    .map((r) => `${r.name} ${r.trend.slopePerMin === null ? '?' : r.trend.slopePerMin.toFixed(2)}`)
    .join(', ');
  return {
    name: 'RSS flat after warm-up (never-killed processes)',
    passed: growing.length === 0,
    summary:
      judged.length === 0
        ? `too short to judge (MB/min: ${slopes})`
        : `${judged.length - growing.length} of ${judged.length} flat at ≤ ${maxSlopeMbPerMin} MB/min (MB/min: ${slopes})`,
    details: growing.map((r) => `${r.name} grew ${r.trend.slopePerMin!.toFixed(2)} MB/min from ${r.trend.first?.toFixed(1)} to ${r.trend.last?.toFixed(1)} MB`),
  };
}
