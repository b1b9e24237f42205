import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrainMeasurement } from './calibration.js';
import type { CheckResult } from './checks.js';
import type { FaultRecord } from './fault-injector.js';
import type { KeyCensus } from './key-census.js';
import type { MemoryRow } from './leak-checks.js';
import { trendAfter } from './memory-trend.js';
import type { SoakOptions } from './options.js';
import type { PostPlan } from './post-plan.js';
import type { PosterCounts } from './poster.js';
import type { BookkeepingReading, RedisInfo, RssSeries } from './samplers.js';

/**
 * Everything one soak run measured and concluded; written as JSON as is. Times are ms since
 * posting started unless named otherwise.
 */
export interface SoakReport {
  runId: string;
  startedAt: string;
  options: SoakOptions;
  machine: { cpus: number; totalMemMb: number; node: string; redis: string };
  calibration: DrainMeasurement;
  /** FANOUT_MAX_BACKLOG of the server nodes: a backlog at it means posting outran the stack. */
  maxBacklog: number;
  /** Deliveries per second posted at, and where the number came from. */
  rate: { deliveriesPerSecond: number; source: 'measured' | '--rate' };
  plan: PostPlan;
  /** What was posted, and the deliveries per second the stack made meanwhile (null without readings). */
  posting: PosterCounts & { seconds: number; deliveriesPerSecond: number | null };
  faults: FaultRecord[];
  drain: { drained: boolean; waitedMs: number; jobsNotDone: number };
  checks: CheckResult[];
  memory: { warmUpMs: number; maxRssSlopeMbPerMin: number; rows: MemoryRow[]; rss: RssSeries[] };
  bookkeeping: BookkeepingReading[];
  census: KeyCensus;
  /** Redis's memory and append-only file at the end (since its last restart). */
  redisInfo: RedisInfo;
  leakDefinition: string;
  /** Seconds from start to verdict. */
  runSeconds: number;
  passed: boolean;
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (value: number | null) => (value === null ? '?' : value.toFixed(1));

/** Left-aligned columns, widths from the content. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

/** Bookkeeping series: most during the run, and at the end. */
const BOOKKEEPING_ROWS: { field: keyof Omit<BookkeepingReading, 't'>; label: string }[] = [
  { field: 'backlog', label: 'backlog (deliveries)' },
  { field: 'laneEntries', label: 'fan-out lane entries' },
  { field: 'pending', label: 'pending entries' },
  { field: 'retries', label: 'retry schedule' },
  { field: 'deadLetters', label: 'dead letters' },
  { field: 'events', label: 'events stream (longest)' },
  { field: 'workers', label: 'worker heartbeats' },
  { field: 'consumers', label: 'group consumers' },
  { field: 'online', label: 'users online' },
];

/** The summary table printed at the end of a run. */
export function formatSummary(report: SoakReport): string {
  const { rate, calibration, plan, posting } = report;
  const refusals =
    Object.entries(posting.refusals)
      .map(([why, count]) => `${why} ×${count}`)
      .join(', ') || 'none';
  const head = [
    `soak ${report.runId}: ${(posting.seconds / 60).toFixed(1)} min posting, 2 server nodes, 3 workers, redis-server ${report.machine.redis} (AOF everysec), ${report.machine.cpus} cores`,
    `drain rate measured ${n(calibration.deliveriesPerSecond)} deliveries/s (slowest of ${calibration.rounds.length} rounds: ` +
      `${calibration.rounds.map((r) => `${r.tweets} × ${n(calibration.followers)} in ${s(r.elapsedMs)}`).join(', ')}); ` +
      `posting at ${n(rate.deliveriesPerSecond)}/s (${rate.source === 'measured' ? `${Math.round(report.options.loadFraction * 100)} % of it` : '--rate'}), ` +
      `delivered ${posting.deliveriesPerSecond === null ? '?' : n(posting.deliveriesPerSecond)}/s while posting`,
    `authors: ${plan.large.audiences.length} large (${plan.large.tweetsPerSecond.toFixed(2)} tweets/s), ${plan.small.audiences.length} small (${plan.small.tweetsPerSecond.toFixed(2)} tweets/s); ` +
      `tweets sent ${n(posting.sent)}, accepted ${n(posting.accepted)}, resent ${posting.resent}; refusals: ${refusals}`,
    `drain: ${report.drain.drained ? 'drained' : 'NOT drained'} ${s(report.drain.waitedMs)} after posting stopped; ` +
      `redis at the end: ${mb(report.redisInfo.usedMemoryMb)} MB used, append-only file ${mb(report.redisInfo.aofCurrentSizeMb)} MB, ` +
      `${report.redisInfo.aofDelayedFsync} delayed fsyncs since its last restart`,
  ];

  const faults = table([
    ['fault', 'at', 'target', 'what happened'],
    ...report.faults.map((f) => [f.kind, s(f.startedAtMs), f.target, f.error ? `FAILED: ${f.error}` : f.detail]),
  ]);

  const checks = table([['check', 'result', 'numbers'], ...report.checks.map((c) => [c.name, c.passed ? 'PASS' : 'FAIL', c.summary])]);
  const failedDetails = report.checks.filter((c) => !c.passed).flatMap((c) => (c.details ?? []).map((d) => `  ${c.name}: ${d}`));

  const memory = table([
    [`RSS after warm-up (${s(report.memory.warmUpMs)})`, 'role', 'restarts', 'first MB', 'last MB', 'min MB', 'max MB', 'MB/min', 'verdict'],
    ...report.memory.rows.map((r) => [
      r.name,
      r.role,
      String(r.restarts),
      mb(r.trend.first),
      mb(r.trend.last),
      mb(r.trend.min),
      mb(r.trend.max),
      r.trend.slopePerMin === null ? '?' : r.trend.slopePerMin.toFixed(2),
      r.verdict,
    ]),
  ]);

  const final = report.bookkeeping[report.bookkeeping.length - 1];
  const job = report.census.kinds.job!;
  const idem = report.census.kinds.idempotency!;
  const cursor = report.census.kinds.cursor!;
  // Readings while posting, after warm-up: their slope shows growth the faults cannot explain.
  const steady = report.bookkeeping.filter((b) => b.t <= posting.seconds * 1000);
  const slope = (field: keyof Omit<BookkeepingReading, 't'>) => {
    const perMin = trendAfter(
      steady.map((b) => ({ t: b.t, value: b[field] })),
      report.memory.warmUpMs,
    ).slopePerMin;
    return perMin === null ? '?' : perMin.toFixed(1);
  };
  const bookkeeping = table([
    ['redis bookkeeping', 'most during run', '/min after warm-up', 'at end'],
    ...BOOKKEEPING_ROWS.map(({ field, label }) => [
      label,
      n(Math.max(0, ...report.bookkeeping.map((b) => b[field]))),
      slope(field),
      final ? n(final[field]) : '?',
    ]),
    ['job records', '', '', `${n(job.count)} (${job.withoutTtl} without TTL, TTL ≤ ${job.ttlMaxS ?? '?'} s)`],
    ['idempotency keys', '', '', `${n(idem.count)} (${idem.withoutTtl} without TTL, TTL ≤ ${idem.ttlMaxS ?? '?'} s)`],
    ['chunk cursors', '', '', `${n(cursor.count)} (${cursor.withoutTtl} without TTL, TTL ≤ ${cursor.ttlMaxS ?? '?'} s)`],
  ]);

  const notes: string[] = [];
  const peak = Math.max(0, ...report.bookkeeping.map((b) => b.backlog));
  if (peak >= report.maxBacklog) {
    notes.push(
      `note: the backlog reached FANOUT_MAX_BACKLOG (${n(report.maxBacklog)}): the stack could not keep up with ${n(rate.deliveriesPerSecond)}/s ` +
        'on this box for some of the run, and posts were refused until it drained; try a lower --rate or --load for steady posting',
    );
  }

  const failed = report.checks.filter((c) => !c.passed);
  const verdict = report.passed ? 'PASS: nothing lost, doubled or leaked' : `FAIL: ${failed.map((c) => c.name).join('; ')}`;
  return [
    ...head,
    '',
    faults,
    '',
    checks,
    ...(failedDetails.length > 0 ? ['', 'failures:', ...failedDetails] : []),
    '',
    memory,
    '',
    bookkeeping,
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    `${verdict} (run took ${s(report.runSeconds * 1000)})`,
  ].join('\n');
}

/** Writes the report as JSON, creating the directory; returns the path. */
export function writeReport(report: SoakReport, file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/**
 * Writes each process's log beside the report (`<report>.logs/<name>-<pid>.log`), for a run
 * that failed: the node's or worker's own account of the same seconds is where diagnosis starts.
 * Returns the directory.
 */
export function writeProcessLogs(logs: readonly { name: string; pid: number; output: string }[], reportFile: string): string {
  const dir = `${reportFile.replace(/\.json$/, '')}.logs`;
  mkdirSync(dir, { recursive: true });
  for (const log of logs) writeFileSync(path.join(dir, `${log.name}-${log.pid}.log`), log.output);
  return dir;
}
