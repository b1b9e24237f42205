import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { onSingleRedis } from '../support/redis-under-test.js';
import type { LatencySummary as Latency } from '../../bench/loadtest/latency.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = (name: string) => path.join(root, 'docs', name);

let stack: BrowserStack;
let out: string;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'ripple-loadtest-'));
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(out, { recursive: true, force: true });
});

/** The server's `ripple_deliveries_total`: tweets written into follower timelines so far. */
async function deliveriesTotal(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const value = /^ripple_deliveries_total (\d+)$/m.exec(metrics)?.[1];
  if (value === undefined) throw new Error(`no ripple_deliveries_total in /metrics:\n${metrics}`);
  return Number(value);
}

const tile = (page: Page, metric: string) => page.locator(`[data-metric="${metric}"] .tile__value`);

describe('a short load test against a real Ripple, watched on the dashboard', () => {
  it('reports complete, consistent numbers, and the dashboard shows them live', async () => {
    const { server, browser } = stack;
    const dashboard = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await dashboard.goto(`${server.url}/dashboard`);
    await dashboard.locator('[data-connection="live"]').waitFor();

    const deliveriesBefore = await deliveriesTotal(server.url);
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/loadtest/main.ts',
        '--url',
        server.url,
        '--authors',
        '3',
        '--followers',
        '2000',
        '--online',
        '6',
        '--rate',
        '20',
        '--duration',
        '4',
        '--drain-timeout',
        '20',
        '--out',
        path.join(out, 'run'),
      ],
      { cwd: root, encoding: 'utf8', timeout: 90_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/accept/);

    const report = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as Record<string, unknown> & {
      accept: Latency;
      firstDelivery: Latency;
      onlineDelivery: Latency;
      complete: Latency;
      deliveriesPerSecond: number;
      refused: number;
      failed: number;
      series: { t: number; backlog: number; deliveriesPerSecond: number }[];
    };
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['config', 'accept', 'firstDelivery', 'onlineDelivery', 'complete', 'deliveriesPerSecond', 'refused', 'failed', 'series']),
    );
    // 20 tweets/s for 4 s, all accepted and all completed; every author has 2 of the 6 online followers.
    expect(report.accept.count).toBe(80);
    expect(report.complete.count).toBe(80);
    expect(report.firstDelivery.count).toBe(80);
    expect(report.onlineDelivery.count).toBe(160);
    expect(report.refused).toBe(0);
    expect(report.failed).toBe(0);
    // A tweet is accepted before it reaches anyone, and done only once everyone has it.
    expect(report.firstDelivery.p50).toBeGreaterThanOrEqual(report.accept.p50 - 1);
    expect(report.complete.max).toBeGreaterThanOrEqual(report.firstDelivery.p50);
    // Every tweet reached its author's 2000 synthetic followers and 2 online ones, once each;
    // the report's rate is that rise over no less than the 4 s of posting.
    const delivered = (await deliveriesTotal(server.url)) - deliveriesBefore;
    expect(delivered).toBe(80 * 2002);
    expect(report.deliveriesPerSecond).toBeGreaterThan(0);
    expect(report.deliveriesPerSecond).toBeLessThanOrEqual(delivered / 4);
    expect(report.series.length).toBeGreaterThanOrEqual(3);

    // The dashboard saw the same run: workers, deliveries and fan-out latency of the last minute.
    await expect.poll(async () => tile(dashboard, 'workersAlive').textContent()).toBe('1');
    await expect.poll(async () => tile(dashboard, 'fanoutP50Ms').textContent(), { timeout: 5_000 }).toMatch(/^\d/);
    // Four charts (deliveries, backlog, admission, latency), one canvas each once uPlot has loaded.
    await expect.poll(() => dashboard.locator('[data-chart] canvas').count()).toBe(4);
    // The README's pictures come from the single-Redis run; the cluster run would write the same files at the same time.
    // The whole page: the tiles, charts, the delivery mix and each process's CPU and work.
    if (onSingleRedis) await dashboard.screenshot({ path: docs('dashboard.png'), fullPage: true });

    const html = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
    await html.goto(pathToFileURL(path.join(out, 'run.html')).href);
    // Without a celebrity: the latency spectrum, latency by second, deliveries per second and the backlog.
    expect(await html.locator('svg.chart').count()).toBe(4);
    if (onSingleRedis) await html.screenshot({ path: docs('loadtest-report.png'), fullPage: true });
  });
});
