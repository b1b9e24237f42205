import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryTracker, MEASURES, type MeasureName } from './delivery-tracker.js';
import type { SpectrumPoint } from './latency.js';
import { renderHtmlReport } from './html-report.js';
import { latencyBySecondOf } from './run-report.js';
import {
  formatBySecond,
  formatLatencyTable,
  formatReport,
  judgeOrdinaryUnderAttack,
  writeReport,
  type AttackReport,
  type LoadTestReport,
  type ReportSpectra,
} from './report.js';

const LATENCY_KEYS = ['count', 'p50', 'p90', 'p99', 'p999', 'max'];

/** A small but complete run: 50 tweets, two online followers, a celebrity, attackers. */
function sampleRun(withCelebrity: boolean, withAttack = false): { report: LoadTestReport; spectra: ReportSpectra } {
  const tracker = new DeliveryTracker();
  const audience = new Set(['f1', 'f2']);
  for (let i = 0; i < 50; i++) {
    const ticket = tracker.sending(i * 20, audience, 0, i * 20);
    tracker.accepted(ticket, `t${i}`, i * 20 + 3 + (i % 7));
    tracker.timelineNew(`t${i}`, 'f1', i * 20 + 40);
    tracker.timelineNew(`t${i}`, 'f2', i * 20 + 55);
    tracker.fanoutDone(`t${i}`, i * 20 + 60 + i);
  }
  tracker.refusal(503);
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
      attackers: withAttack ? 1 : 0,
      attackerFollowers: 1_000_000,
      attackerRate: 10,
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
    refusedByStatus: tracker.refusedByStatus,
    failed: tracker.counts.failed,
    series: [
      { t: 0, backlog: 0, deliveriesPerSecond: 0 },
      { t: 1, backlog: 4000, deliveriesPerSecond: 9000 },
      { t: 2, backlog: 0, deliveriesPerSecond: 15000 },
    ],
    latencyBySecond: latencyBySecondOf(tracker),
  };
  const spectra: ReportSpectra = { main: spectraOf(tracker) };
  if (withCelebrity) {
    const celeb = new DeliveryTracker();
    const ticket = celeb.sending(0, audience, 0, 0);
    celeb.accepted(ticket, 'c0', 12);
    celeb.fanoutDone('c0', 900);
    report.celebrity = { followers: 100_000, posts: 1, ...celeb.summaries(), refused: 0, failed: 0 };
    spectra.celebrity = spectraOf(celeb);
  }
  if (withAttack) report.attack = sampleAttack(report);
  return { report, spectra };
}

/** One attacker at 10 tweets/s for 20 s: 200 tweets, 12 of them accepted. */
function sampleAttack(report: LoadTestReport): AttackReport {
  const attacker = new DeliveryTracker();
  for (let i = 0; i < 200; i++) {
    const ticket = attacker.sending(i * 100, new Set(), Math.floor(i / 10), i * 100);
    if (i % 16 === 0 && i < 192) {
      attacker.accepted(ticket, `x${i}`, i * 100 + 5);
      attacker.fanoutDone(`x${i}`, i * 100 + 800);
    } else {
      attacker.refusal(i % 5 === 0 ? 429 : 503);
      attacker.gaveUp(ticket);
    }
  }
  const { sent, accepted, refused, failed } = attacker.counts;
  const s = attacker.summaries();
  return {
    attackers: 1,
    followers: 1_000_000,
    rate: 10,
    ordinary: judgeOrdinaryUnderAttack(report),
    attackerTweets: { sent, accepted, refused, refusedByStatus: attacker.refusedByStatus, failed, accept: s.accept, complete: s.complete },
  };
}

describe('the JSON report', () => {
  it('has every key of the documented shape, latencies in ms', () => {
    const { report } = sampleRun(true);
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'config',
      'accept',
      'firstDelivery',
      'onlineDelivery',
      'complete',
      'deliveriesPerSecond',
      'refused',
      'refusedByStatus',
      'failed',
      'series',
      'latencyBySecond',
      'celebrity',
    ]);
    for (const measure of ['accept', 'firstDelivery', 'onlineDelivery', 'complete']) {
      expect(Object.keys(json[measure] as object)).toEqual(LATENCY_KEYS);
    }
    expect(json.accept).toMatchObject({ count: 50, p50: 6, max: 9 });
    expect(json.firstDelivery).toMatchObject({ count: 50, p50: 40, max: 40 });
    expect(json.onlineDelivery).toMatchObject({ count: 100, max: 55 });
    expect(json.complete).toMatchObject({ count: 50, p50: 84, max: 109 });
    expect(json.refused).toBe(1);
    expect(json.refusedByStatus).toEqual({ 429: 0, 503: 1 });
    expect(json.failed).toBe(0);
    expect((json.series as object[])[1]).toEqual({ t: 1, backlog: 4000, deliveriesPerSecond: 9000 });
    expect(json.latencyBySecond).toEqual([
      {
        t: 0,
        accept: { count: 50, p50: 6, p99: 9, max: 9 },
        onlineDelivery: { count: 100, p50: 40, p99: 55, max: 55 },
        sendLag: { count: 50, p50: 0, p99: 0, max: 0 },
      },
    ]);
    expect(Object.keys(json.celebrity as object)).toEqual(
      expect.arrayContaining(['followers', 'posts', 'accept', 'firstDelivery', 'onlineDelivery', 'complete', 'refused', 'failed']),
    );
    expect(json.config).toMatchObject({ url: 'http://127.0.0.1:3477', rate: 50, durationS: 1, runId: 'abc123' });
  });

  it('leaves "celebrity" and "attack" out when there was none', () => {
    expect(Object.keys(sampleRun(false).report)).not.toContain('celebrity');
    expect(Object.keys(sampleRun(false).report)).not.toContain('attack');
  });

  it('keeps the attack apart: the authors judged, the attackers counted', () => {
    const json = JSON.parse(JSON.stringify(sampleRun(false, true).report)) as LoadTestReport;
    expect(json.attack).toEqual({
      attackers: 1,
      followers: 1_000_000,
      rate: 10,
      ordinary: { refusedByStatus: { 429: 0, 503: 1 }, failed: 0, onlineDeliveryP99: 55, goalsMet: false },
      attackerTweets: {
        sent: 200,
        accepted: 12,
        refused: 188,
        refusedByStatus: { 429: 37, 503: 151 },
        failed: 188,
        accept: expect.objectContaining({ count: 12, max: 5 }) as unknown,
        complete: expect.objectContaining({ count: 12, max: 800 }) as unknown,
      },
    });
    // The top-level numbers stay the authors' own: the attackers' refusals are not among them.
    expect(json.refused).toBe(1);
    expect(json.accept.count).toBe(50);
  });
});

describe('judging the authors under attack', () => {
  const latency = (count: number, p99: number) => ({ count, p50: p99 / 2, p90: p99, p99, p999: p99, max: p99 });
  const judge = (refused429: number, refused503: number, failed: number, onlineDelivery = latency(100, 80)) =>
    judgeOrdinaryUnderAttack({ refusedByStatus: { 429: refused429, 503: refused503 }, failed, onlineDelivery });

  it('holds with no refusal, no failure and an online delivery p99 within 250 ms', () => {
    expect(judge(0, 0, 0)).toEqual({ refusedByStatus: { 429: 0, 503: 0 }, failed: 0, onlineDeliveryP99: 80, goalsMet: true });
    expect(judge(0, 0, 0, latency(100, 250)).goalsMet).toBe(true);
  });

  it('fails on a single refusal of either kind, or a tweet given up on', () => {
    expect(judge(0, 1, 0).goalsMet).toBe(false);
    expect(judge(1, 0, 0).goalsMet).toBe(false);
    expect(judge(0, 0, 1).goalsMet).toBe(false);
  });

  it('fails on an online delivery p99 over 250 ms, and when there was no delivery to judge', () => {
    expect(judge(0, 0, 0, latency(100, 250.1)).goalsMet).toBe(false);
    expect(judge(0, 0, 0, latency(0, 0)).goalsMet).toBe(false);
  });
});

/** Three seconds at 100 tweets/s whose first second was accepted 300 ms late, the rest in 5 ms; one online follower of the second second. */
function coldStart(): DeliveryTracker {
  const tracker = new DeliveryTracker();
  for (let i = 0; i < 300; i++) {
    const second = Math.floor(i / 100);
    // The load tester itself sent the tweets of the first second 40 ms late.
    const ticket = tracker.sending(i * 10, second === 1 ? new Set(['f1']) : new Set(), second, i * 10 + (second === 0 ? 40 : 0));
    tracker.accepted(ticket, `t${i}`, i * 10 + (second === 0 ? 300 : 5));
    if (second === 1) tracker.timelineNew(`t${i}`, 'f1', i * 10 + 20);
  }
  return tracker;
}

describe('latency by second of the schedule', () => {
  it('shows a cold first second apart from the rest, which one p99 over the run would hide', () => {
    const tracker = coldStart();
    const seconds = latencyBySecondOf(tracker);
    expect(seconds.map((s) => [s.t, s.accept.p99, s.onlineDelivery.count, s.sendLag.p99])).toEqual([
      [0, 300, 0, 40],
      [1, 5, 100, 0],
      [2, 5, 0, 0],
    ]);
    expect(formatBySecond(seconds)).toBe(
      'p99 by second of send: accept worst 300.0 ms (second 0), median second 5.0 ms; online delivery worst 20.0 ms (second 1), median second 20.0 ms;' +
        ' send lag worst 40.0 ms (second 0), median second 0.0 ms',
    );
  });

  it('says "none" for a measure without samples', () => {
    expect(formatBySecond([])).toBe('p99 by second of send: accept none; online delivery none; send lag none');
  });

  it('is a line of the printed report and a chart of the HTML one', () => {
    const { report, spectra } = sampleRun(false);
    report.latencyBySecond = latencyBySecondOf(coldStart());
    expect(formatReport(report).split('\n')).toContain(formatBySecond(report.latencyBySecond));
    const html = renderHtmlReport(report, spectra);
    const chart = html.slice(html.indexOf('aria-label="Latency by second of intended send time"'));
    for (const line of ['accept p50', 'accept p99', 'online delivery p99', 'send lag p99']) expect(chart).toContain(`<title>${line}</title>`);
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
    expect(text).toContain('refused 1 (503: 1, 429: 0)');
    expect(text).not.toContain('under attack');
  });

  it('shows the verdict on the authors under attack, then the attackers apart', () => {
    const text = formatReport(sampleRun(false, true).report);
    const attack = text.slice(text.indexOf('under attack'));
    expect(attack.split('\n')).toEqual([
      'under attack: 1 attacker × 1,000,000 followers, 10 tweets/s each',
      expect.stringMatching(
        /^ {2}authors: +refused 503: 1, 429: 0 \(goal 0\) +failed 0 \(goal 0\) +online delivery p99 55\.0 ms \(goal ≤ 250\) +GOALS NOT MET$/,
      ),
      expect.stringMatching(
        /^ {2}attackers: sent 200 +accepted 12 +refused 188 \(503: 151, 429: 37\) +failed 188 +accept p99 5\.0 ms +complete p99 800\.0 ms$/,
      ),
    ]);
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
    // spectrum, latency by second, deliveries/s, backlog, and the celebrity's spectrum
    expect(html.match(/<svg\b/g)).toHaveLength(5);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import/i);
    for (const label of [
      '0%',
      '90%',
      '99%',
      '99.9%',
      '99.99%',
      'percentile',
      'latency (ms)',
      'deliveries / s',
      'time since start (s)',
      'intended send time (s since start)',
    ]) {
      expect(html).toContain(`>${label}<`);
    }
    expect(html).toContain('<title>Ripple load test abc123</title>');
    for (const { label } of MEASURES) expect(html).toContain(label);
  });

  it("shows the attack as a verdict on the authors and the attackers' own counts", () => {
    const { report, spectra } = sampleRun(false, true);
    const html = renderHtmlReport(report, spectra);
    const section = html.slice(html.indexOf('<h2>Under attack</h2>'), html.indexOf('<h2>Over time</h2>'));
    expect(section).toContain('1 attacker(s) with 1,000,000 synthetic followers each posted 10 tweets/s each');
    expect(section).toContain('<tr><td>refused with 503</td><td>0</td><td class="missed">1</td></tr>');
    expect(section).toContain('<tr><td>online delivery p99</td><td>≤ 250 ms</td><td class="met">55.0 ms</td></tr>');
    expect(section).toContain('Goals not met');
    expect(section).toContain('<strong>12</strong>accepted');
    expect(section).toContain('<strong>151</strong>refused with 503');
    // The attack adds no plot: the spectrum, latency by second, deliveries/s and backlog stay the only four.
    expect(html.match(/<svg\b/g)).toHaveLength(4);
    expect(renderHtmlReport(sampleRun(false).report, spectra)).not.toContain('Under attack');
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
