import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryTracker, MEASURES, type MeasureName } from './delivery-tracker.js';
import type { SpectrumPoint } from './latency.js';
import { renderHtmlReport } from './html-report.js';
import { formatLatencyTable, formatReport, writeReport, type LoadTestReport, type ReportSpectra } from './report.js';

const LATENCY_KEYS = ['count', 'p50', 'p90', 'p99', 'p999', 'max'];

/** A small but complete run: 50 tweets, two online followers, a celebrity. */
function sampleRun(withCelebrity: boolean): { report: LoadTestReport; spectra: ReportSpectra } {
  const tracker = new DeliveryTracker();
  const audience = new Set(['f1', 'f2']);
  for (let i = 0; i < 50; i++) {
    const ticket = tracker.sending(i * 20, audience);
    tracker.accepted(ticket, `t${i}`, i * 20 + 3 + (i % 7));
    tracker.timelineNew(`t${i}`, 'f1', i * 20 + 40);
    tracker.timelineNew(`t${i}`, 'f2', i * 20 + 55);
    tracker.fanoutDone(`t${i}`, i * 20 + 60 + i);
  }
  tracker.refusal();
  const spectraOf = (t: DeliveryTracker) =>
    Object.fromEntries(MEASURES.map(({ name }) => [name, t.measures[name].spectrum()])) as Record<MeasureName, SpectrumPoint[]>;
  const s = tracker.summaries();
  const report: LoadTestReport = {
    config: {
      url: 'http://127.0.0.1:3477',
      authors: 5,
      followers: 2000,
      online: 10,
      rate: 50,
      durationS: 1,
      drainTimeoutS: 60,
      celebrityFollowers: withCelebrity ? 100_000 : 0,
      celebrityPosts: 1,
      maxTries: 8,
      runId: 'abc123',
      startedAt: '2026-11-28T01:00:00.000Z',
    },
    accept: s.accept,
    firstDelivery: s.firstDelivery,
    onlineDelivery: s.onlineDelivery,
    complete: s.complete,
    deliveriesPerSecond: 12345.6,
    refused: tracker.counts.refused,
    failed: tracker.counts.failed,
    series: [
      { t: 0, backlog: 0, deliveriesPerSecond: 0 },
      { t: 1, backlog: 4000, deliveriesPerSecond: 9000 },
      { t: 2, backlog: 0, deliveriesPerSecond: 15000 },
    ],
  };
  const spectra: ReportSpectra = { main: spectraOf(tracker) };
  if (withCelebrity) {
    const celeb = new DeliveryTracker();
    const ticket = celeb.sending(0, audience);
    celeb.accepted(ticket, 'c0', 12);
    celeb.fanoutDone('c0', 900);
    report.celebrity = { followers: 100_000, posts: 1, ...celeb.summaries(), refused: 0, failed: 0 };
    spectra.celebrity = spectraOf(celeb);
  }
  return { report, spectra };
}

describe('the JSON report', () => {
  it('has every key of the documented shape, latencies in ms', () => {
    const { report } = sampleRun(true);
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'config', 'accept', 'firstDelivery', 'onlineDelivery', 'complete', 'deliveriesPerSecond', 'refused', 'failed', 'series', 'celebrity',
    ]);
    for (const measure of ['accept', 'firstDelivery', 'onlineDelivery', 'complete']) {
      expect(Object.keys(json[measure] as object)).toEqual(LATENCY_KEYS);
    }
    expect(json.accept).toMatchObject({ count: 50, p50: 6, max: 9 });
    expect(json.firstDelivery).toMatchObject({ count: 50, p50: 40, max: 40 });
    expect(json.onlineDelivery).toMatchObject({ count: 100, max: 55 });
    expect(json.complete).toMatchObject({ count: 50, p50: 84, max: 109 });
    expect(json.refused).toBe(1);
    expect(json.failed).toBe(0);
    expect((json.series as object[])[1]).toEqual({ t: 1, backlog: 4000, deliveriesPerSecond: 9000 });
    expect(Object.keys(json.celebrity as object)).toEqual(
      expect.arrayContaining(['followers', 'posts', 'accept', 'firstDelivery', 'onlineDelivery', 'complete', 'refused', 'failed']),
    );
    expect(json.config).toMatchObject({ url: 'http://127.0.0.1:3477', rate: 50, durationS: 1, runId: 'abc123' });
  });

  it('leaves "celebrity" out when there was none', () => {
    expect(Object.keys(sampleRun(false).report)).not.toContain('celebrity');
  });
});

describe('the printed table', () => {
  it('has a row per measure with p50, p90, p99, p99.9, max and count', () => {
    const table = formatLatencyTable(sampleRun(false).report);
    const [header, ...rows] = table.split('\n');
    expect(header).toMatch(/count\s+p50\s+p90\s+p99\s+p99\.9\s+max/);
    expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(['accept', 'first delivery', 'online delivery', 'complete']);
    expect(rows[0]).toMatch(/^accept\s+50\s+6\.0\s/);
  });

  it('shows the celebrity apart', () => {
    const text = formatReport(sampleRun(true).report);
    expect(text).toContain('celebrity: 1 post to 100000 followers');
    expect(text).toContain('deliveries/s 12,345.6');
  });
});

describe('the HTML report', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('draws the plots as inline SVG and loads nothing from outside', () => {
    const { report, spectra } = sampleRun(true);
    const html = renderHtmlReport(report, spectra);
    // spectrum, deliveries/s, backlog, and the celebrity's spectrum
    expect(html.match(/<svg\b/g)).toHaveLength(4);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import/i);
    for (const label of ['0%', '90%', '99%', '99.9%', '99.99%', 'percentile', 'latency (ms)', 'deliveries / s', 'time since start (s)']) {
      expect(html).toContain(`>${label}<`);
    }
    expect(html).toContain('<title>Ripple load test abc123</title>');
    for (const { label } of MEASURES) expect(html).toContain(label);
  });

  it('escapes what it prints from the configuration', () => {
    const { report, spectra } = sampleRun(false);
    report.config.url = 'http://x/<script>alert(1)</script>';
    expect(renderHtmlReport(report, spectra)).not.toContain('<script>');
  });

  it('still renders when nothing was measured', () => {
    const { report } = sampleRun(false);
    const empty = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    const html = renderHtmlReport(
      { ...report, accept: empty, firstDelivery: empty, onlineDelivery: empty, complete: empty, series: [] },
      { main: { accept: [], firstDelivery: [], onlineDelivery: [], complete: [] } },
    );
    expect(html).toContain('no samples');
    expect(html).not.toContain('NaN');
  });

  it('writes <out>.json and <out>.html, creating the folder', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loadtest-report-'));
    const { report, spectra } = sampleRun(false);
    const paths = writeReport(report, spectra, path.join(dir, 'nested', 'run1'));
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(readFileSync(paths.html, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
