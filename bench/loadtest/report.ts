/**
 * The load test's report: `<out>.json`, `<out>.html` and the table printed at the end.
 *
 * The JSON shape is a contract for whoever compares runs; keep it stable (add, never rename):
 *
 * ```
 * {
 *   config: {                       // what was asked for, and when
 *     url, authors, followers, online, rate, durationS, drainTimeoutS,
 *     celebrityFollowers, celebrityPosts, maxTries,
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
 *   failed: number,                 // tweets given up on while posting + fanout:failed jobs
 *   series: [{ t, backlog, deliveriesPerSecond }],   // once a second; t = s since start
 *   celebrity?: {                   // only with --celebrity-followers; never mixed into the above
 *     followers, posts, accept, firstDelivery, onlineDelivery, complete, refused, failed
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

export interface LoadTestReport extends Record<MeasureName, LatencySummary> {
  config: ReportConfig;
  deliveriesPerSecond: number;
  refused: number;
  failed: number;
  series: SeriesPoint[];
  celebrity?: CelebrityReport;
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

/** The whole report as the CLI prints it on stdout. */
export function formatReport(report: LoadTestReport): string {
  const c = report.config;
  const lines = [
    `Ripple load test ${c.runId}: ${c.rate} tweets/s for ${c.durationS} s, ${c.authors} authors × ${c.followers} followers, ${c.online} online`,
    '',
    formatLatencyTable(report),
    '',
    `deliveries/s ${formatRate(report.deliveriesPerSecond)}   refused ${report.refused}   failed ${report.failed}`,
  ];
  if (report.celebrity) {
    const celeb = report.celebrity;
    lines.push(
      '',
      `celebrity: ${celeb.posts} post${celeb.posts === 1 ? '' : 's'} to ${celeb.followers} followers`,
      formatLatencyTable(celeb),
      `refused ${celeb.refused}   failed ${celeb.failed}`,
    );
  }
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
