import { formatCpuCost, type CpuCost } from './cpu-cost.js';
/**
 * The load test's report: `<out>.json`, `<out>.html` and the table printed at the end.
 *
 * The JSON shape is a contract for whoever compares runs; keep it stable (add, never rename):
 *
 * ```
 * {
 *   config: {                       // what was asked for, and when
 *     url, authors, followers, online, rate, durationS, drainTimeoutS,
 *     celebrityFollowers, celebrityPosts, attackers, attackerFollowers, attackerRate, maxTries,
 *     runId: string,                // handles of the run are lt<runId>_…
 *     startedAt: ISO-8601 string
 *   },
 *   accept:         Latency,        // intended send → 202 (after any retries)
 *   firstDelivery:  Latency,        // intended send → first timeline:new at any online follower
 *   onlineDelivery: Latency,        // intended send → timeline:new at each online follower
 *                                   //   of the author (one sample per tweet × follower)
 *   complete:       Latency,        // intended send → fanout:done on the author's socket
 *   deliveriesPerSecond: number,    // rise of the server's ripple_deliveries_total during the
 *                                   //   run ÷ elapsed seconds (cluster-wide)
 *   refused: number,                // 429 and 503 answers, every try counted
 *   refusedByStatus: { "429": number, "503": number },   // the same, by status
 *   failed: number,                 // tweets given up on while posting + fanout:failed jobs
 *   series: [{ t, backlog, deliveriesPerSecond }],   // once a second; t = s since start
 *   latencyBySecond: [{             // one per second of the schedule, from t = 0, the first
 *     t,                            //   second: tweets due from t to t + 1 s after the start
 *     accept: SecondLatency,        // the same measures as above, of those tweets only;
 *     onlineDelivery: SecondLatency,//   { count, p50, p99, max }, all 0 for a second without any
 *     sendLag: SecondLatency        // intended send → sent: how late the load tester itself was
 *   }],
 *   celebrity?: {                   // only with --celebrity-followers; never mixed into the above
 *     followers, posts, accept, firstDelivery, onlineDelivery, complete, refused, failed
 *   },
 *   attack?: {                      // only with --attackers; never mixed into the above
 *     attackers, followers, rate,   // accounts; synthetic followers and tweets/s of each
 *     ordinary: {                   // the authors' tweets above, judged against the goals
 *       refusedByStatus: { "429", "503" },   // goal 0 each
 *       failed: number,             // tweets given up on or fanout:failed; goal 0
 *       onlineDeliveryP99: number,  // ms, goal ≤ 250
 *       goalsMet: boolean
 *     },
 *     attackerTweets: {             // the attackers' own, all of them
 *       sent, accepted, refused, refusedByStatus: { "429", "503" }, failed,
 *       accept: Latency, complete: Latency
 *     }
 *   }
 * }
 * Latency = { count, p50, p90, p99, p999, max }  // milliseconds, 1 decimal; all 0 when count is 0
 * ```
 *
 * Every latency is measured from the tweet's intended send time of the open-loop schedule,
 * never from when it happened to be sent, so a server stall cannot hide (coordinated omission).
 */
import type { LoadTestOptions } from './options.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MEASURES, type MeasureName } from './delivery-tracker.js';
import type { LatencySummary, SpectrumPoint } from './latency.js';
import type { SecondLatency } from './latency-by-second.js';
import type { RefusalStatus } from './ripple-client.js';
import type { SeriesPoint } from './server-sampler.js';
import { renderHtmlReport } from './html-report.js';

/** The run's settings as the report records them. */
export interface ReportConfig extends Omit<LoadTestOptions, 'out'> {
  runId: string;
  startedAt: string;
}

/** The celebrity's own measures, apart from everyone else's. */
export interface CelebrityReport extends Record<MeasureName, LatencySummary> {
  followers: number;
  posts: number;
  refused: number;
  failed: number;
}

/**
 * What fair admission promises the ordinary authors: while big accounts post at their rate
 * limit, none of the others' tweets is refused (and so none given up on), and they still reach
 * online followers within 250 ms at p99.
 */
export const ATTACK_GOALS = { refused: 0, failed: 0, onlineDeliveryP99Ms: 250 } as const;

/** The ordinary authors' tweets under attack, judged against {@link ATTACK_GOALS}. */
export interface OrdinaryUnderAttack {
  refusedByStatus: Record<RefusalStatus, number>;
  failed: number;
  onlineDeliveryP99: number;
  goalsMet: boolean;
}

/** The attackers' own tweets. */
export interface AttackerTweets {
  sent: number;
  accepted: number;
  refused: number;
  refusedByStatus: Record<RefusalStatus, number>;
  /** Given up on (tries spent, or still retrying when the attack ended) plus `fanout:failed`. */
  failed: number;
  accept: LatencySummary;
  complete: LatencySummary;
}

export interface AttackReport {
  attackers: number;
  /** Synthetic followers of each attacker. */
  followers: number;
  /** Tweets per second each attacker posted. */
  rate: number;
  ordinary: OrdinaryUnderAttack;
  attackerTweets: AttackerTweets;
}

/** The tweets due in one second of the schedule: whether a run starts worse than it goes on. */
export interface SecondOfRun {
  /** Seconds from the start of the schedule to the start of this second. */
  t: number;
  accept: SecondLatency;
  onlineDelivery: SecondLatency;
  /** How late the load tester itself sent these tweets: a slow second that is its own doing shows here too. */
  sendLag: SecondLatency;
}

export interface LoadTestReport extends Record<MeasureName, LatencySummary> {
  config: ReportConfig;
  deliveriesPerSecond: number;
  refused: number;
  refusedByStatus: Record<RefusalStatus, number>;
  failed: number;
  series: SeriesPoint[];
  latencyBySecond: SecondOfRun[];
  /** CPU per accepted tweet by part, over the posting phase; absent when the server does not publish it. */
  cpu?: CpuCost;
  celebrity?: CelebrityReport;
  attack?: AttackReport;
}

/**
 * Judges the ordinary authors' tweets of a run under attack. A tweet given up on never reaches
 * anyone and so never shows in the p99, and a run without a single online delivery has a p99 of
 * 0: neither may pass for a met goal.
 */
export function judgeOrdinaryUnderAttack(ordinary: Pick<LoadTestReport, 'refusedByStatus' | 'failed' | 'onlineDelivery'>): OrdinaryUnderAttack {
  const { refusedByStatus, failed, onlineDelivery } = ordinary;
  const goalsMet =
    refusedByStatus[429] + refusedByStatus[503] <= ATTACK_GOALS.refused &&
    failed <= ATTACK_GOALS.failed &&
    onlineDelivery.count > 0 &&
    onlineDelivery.p99 <= ATTACK_GOALS.onlineDeliveryP99Ms;
  return { refusedByStatus: { ...refusedByStatus }, failed, onlineDeliveryP99: onlineDelivery.p99, goalsMet };
}

/** The percentile spectra behind the HTML plots; not part of the JSON. */
export interface ReportSpectra {
  main: Record<MeasureName, SpectrumPoint[]>;
  celebrity?: Record<MeasureName, SpectrumPoint[]>;
}

const COLUMNS = ['count', 'p50', 'p90', 'p99', 'p99.9', 'max'] as const;

const cellsOf = (s: LatencySummary): string[] => [String(s.count), ...[s.p50, s.p90, s.p99, s.p999, s.max].map((ms) => ms.toFixed(1))];

/** The latency table as aligned text: one row per measure, columns in ms. */
export function formatLatencyTable(measures: Record<MeasureName, LatencySummary>): string {
  const rows = [['measure (ms)', ...COLUMNS], ...MEASURES.map((m) => [m.label, ...cellsOf(measures[m.name])])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

const formatRate = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** `12 (503: 10, 429: 2)`, or just `0`. */
export const formatRefused = (total: number, byStatus: Record<RefusalStatus, number>): string =>
  total === 0 ? '0' : `${total} (503: ${byStatus[503]}, 429: ${byStatus[429]})`;

/** The attack's lines of the printed report: the verdict on the ordinary authors first. */
export function formatAttack(attack: AttackReport): string[] {
  const { ordinary: o, attackerTweets: a } = attack;
  const plural = attack.attackers === 1 ? '' : 's';
  return [
    `under attack: ${attack.attackers} attacker${plural} × ${attack.followers.toLocaleString('en-US')} followers, ${formatRate(attack.rate)} tweets/s each`,
    `  authors:   refused 503: ${o.refusedByStatus[503]}, 429: ${o.refusedByStatus[429]} (goal ${ATTACK_GOALS.refused})` +
      `   failed ${o.failed} (goal ${ATTACK_GOALS.failed})   online delivery p99 ${o.onlineDeliveryP99.toFixed(1)} ms (goal ≤ ${ATTACK_GOALS.onlineDeliveryP99Ms})` +
      `   ${o.goalsMet ? 'goals met' : 'GOALS NOT MET'}`,
    `  attackers: sent ${a.sent}   accepted ${a.accepted}   refused ${formatRefused(a.refused, a.refusedByStatus)}   failed ${a.failed}` +
      `   accept p99 ${a.accept.p99.toFixed(1)} ms   complete p99 ${a.complete.p99.toFixed(1)} ms`,
  ];
}

/**
 * One line on whether the run had a bad stretch: each measure's worst second by p99 against the
 * median second, e.g. a cold start's first seconds against the rest.
 */
export function formatBySecond(seconds: readonly SecondOfRun[]): string {
  const part = (label: string, measure: 'accept' | 'onlineDelivery' | 'sendLag') => {
    const measured = seconds.filter((s) => s[measure].count > 0);
    if (measured.length === 0) return `${label} none`;
    const worst = measured.reduce((a, b) => (b[measure].p99 > a[measure].p99 ? b : a));
    const p99s = measured.map((s) => s[measure].p99).sort((a, b) => a - b);
    const median = p99s[Math.floor((p99s.length - 1) / 2)]!;
    return `${label} worst ${worst[measure].p99.toFixed(1)} ms (second ${worst.t}), median second ${median.toFixed(1)} ms`;
  };
  return `p99 by second of send: ${part('accept', 'accept')}; ${part('online delivery', 'onlineDelivery')}; ${part('send lag', 'sendLag')}`;
}

/** The whole report as the CLI prints it on stdout. */
export function formatReport(report: LoadTestReport): string {
  const c = report.config;
  const lines = [
    `Ripple load test ${c.runId}: ${c.rate} tweets/s for ${c.durationS} s, ${c.authors} authors × ${c.followers} followers, ${c.online} online`,
    '',
    formatLatencyTable(report),
    '',
    `deliveries/s ${formatRate(report.deliveriesPerSecond)}   refused ${formatRefused(report.refused, report.refusedByStatus)}   failed ${report.failed}`,
    formatBySecond(report.latencyBySecond),
  ];
  if (report.cpu) lines.push('', formatCpuCost(report.cpu));
  if (report.celebrity) {
    const celeb = report.celebrity;
    lines.push(
      '',
      `celebrity: ${celeb.posts} post${celeb.posts === 1 ? '' : 's'} to ${celeb.followers} followers`,
      formatLatencyTable(celeb),
      `refused ${celeb.refused}   failed ${celeb.failed}`,
    );
  }
  if (report.attack) lines.push('', ...formatAttack(report.attack));
  return lines.join('\n');
}

/** Writes `<out>.json` and `<out>.html`, creating the folder; returns both paths. */
export function writeReport(report: LoadTestReport, spectra: ReportSpectra, out: string): { json: string; html: string } {
  const paths = { json: `${out}.json`, html: `${out}.html` };
  mkdirSync(dirname(paths.json), { recursive: true });
  writeFileSync(paths.json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(paths.html, renderHtmlReport(report, spectra));
  return paths;
}
