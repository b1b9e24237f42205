import type { CpuCost } from './cpu-cost.js';
import { MEASURES, type MeasureName } from './delivery-tracker.js';
import type { LatencySummary, SpectrumPoint } from './latency.js';
import { SPECTRUM_MAX_NINES } from './latency.js';
import { ATTACK_GOALS, type AttackReport, type LoadTestReport, type ReportSpectra, type SecondOfRun } from './report.js';
import { escapeXml, lineChart, type AxisTick, type ChartSeries } from './svg-chart.js';

/** One colour per measure, from the Okabe–Ito palette: distinct for colour-blind readers too. */
const MEASURE_COLORS: Record<MeasureName, string> = {
  accept: '#0072B2',
  firstDelivery: '#E69F00',
  onlineDelivery: '#009E73',
  complete: '#CC79A7',
};

/** Delivery measures often coincide (a small fan-out lands all at once): dashes keep each visible. */
const MEASURE_DASHES: Partial<Record<MeasureName, string>> = { onlineDelivery: '7 4', complete: '2 4' };

/** Ticks of the "nines" axis: 0 %, 90 %, 99 %, 99.9 %, 99.99 %. */
const NINES_TICKS: AxisTick[] = Array.from({ length: SPECTRUM_MAX_NINES + 1 }, (_, nines) => ({
  value: nines,
  label: nines === 0 ? '0%' : `${(100 * (1 - 10 ** -nines)).toFixed(nines - 2 > 0 ? nines - 2 : 0)}%`,
}));

const STYLE = `
  :root { color-scheme: light; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #f6f7f9; margin: 0; }
  main { max-width: 860px; margin: 0 auto; padding: 28px 20px 48px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 32px 0 10px; }
  h3 { font-size: 15px; margin: 18px 0 6px; }
  .subtitle { color: #5b6475; margin: 0 0 20px; }
  section { background: #fff; border: 1px solid #e2e5ea; border-radius: 8px; padding: 16px 20px; margin-bottom: 18px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { padding: 6px 10px; border-bottom: 1px solid #eceef2; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  thead th { color: #5b6475; font-weight: 600; font-size: 13px; }
  .config td, .config th { text-align: left; }
  .config th { color: #5b6475; font-weight: 500; width: 40%; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
  .totals { display: flex; gap: 28px; margin-top: 12px; flex-wrap: wrap; }
  .totals div { font-size: 13px; color: #5b6475; }
  .totals strong { display: block; font-size: 20px; color: #1d2330; }
  .note { color: #5b6475; font-size: 13px; margin: 8px 0 0; }
  .met { color: #00734d; font-weight: 600; }
  .missed { color: #b3261e; font-weight: 600; }
  svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0 4px; }
  svg .chart-title { font-size: 14px; font-weight: 600; fill: #1d2330; }
  svg .grid { stroke: #eceef2; stroke-width: 1; }
  svg .frame { fill: none; stroke: #b8bec9; stroke-width: 1; }
  svg .tick { font-size: 11px; fill: #5b6475; }
  svg .axis-label { font-size: 12px; fill: #3b4352; }
  svg .legend { font-size: 11px; fill: #3b4352; }
  svg .empty { font-size: 13px; fill: #8a93a3; }
`;

function latencyTable(measures: Record<MeasureName, LatencySummary>): string {
  const rows = MEASURES.map(({ name, label, meaning }) => {
    const s = measures[name];
    const ms = [s.p50, s.p90, s.p99, s.p999, s.max].map((v) => `<td>${v.toFixed(1)}</td>`).join('');
    return `<tr><td title="${escapeXml(meaning)}"><span class="swatch" style="background:${MEASURE_COLORS[name]}"></span>${escapeXml(label)}</td><td>${s.count}</td>${ms}</tr>`;
  });
  return `<table>
<thead><tr><th>measure</th><th>count</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function spectrumChart(title: string, spectra: Record<MeasureName, SpectrumPoint[]>): string {
  const series: ChartSeries[] = MEASURES.map(({ name, label }) => ({
    name: label,
    color: MEASURE_COLORS[name],
    ...(MEASURE_DASHES[name] ? { dash: MEASURE_DASHES[name] } : {}),
    points: spectra[name].map((p) => [p.nines, p.ms] as const),
  }));
  return lineChart({ title, xLabel: 'percentile', yLabel: 'latency (ms)', series, xTicks: NINES_TICKS, xMin: 0, xMax: SPECTRUM_MAX_NINES });
}

/** How late the load tester itself sent tweets: grey, as it measures the tool rather than Ripple. */
const SEND_LAG_COLOR = '#666666';

/**
 * Accept p50 and p99, online delivery p99 and the load tester's own send lag p99 of the tweets due
 * in each second: a slow start stands out from the rest of the run, and so does a load tester
 * that fell behind.
 */
function bySecondChart(seconds: readonly SecondOfRun[]): string {
  const line = (name: string, measure: 'accept' | 'onlineDelivery' | 'sendLag', percentile: 'p50' | 'p99', dash?: string): ChartSeries => ({
    name,
    color: measure === 'sendLag' ? SEND_LAG_COLOR : MEASURE_COLORS[measure],
    ...(dash ? { dash } : {}),
    points: seconds.filter((s) => s[measure].count > 0).map((s) => [s.t, s[measure][percentile]] as const),
  });
  return lineChart({
    title: 'Latency by second of intended send time',
    xLabel: 'intended send time (s since start)',
    yLabel: 'latency (ms)',
    series: [
      line('accept p50', 'accept', 'p50', '2 4'),
      line('accept p99', 'accept', 'p99'),
      line('online delivery p99', 'onlineDelivery', 'p99', MEASURE_DASHES.onlineDelivery),
      line('send lag p99', 'sendLag', 'p99', '1 3'),
    ],
  });
}

function configTable(report: LoadTestReport): string {
  const c = report.config;
  const rows: Array<[string, string]> = [
    ['Ripple', c.url],
    ['started', c.startedAt],
    ['run id (handles lt<id>_…)', c.runId],
    ['arrival rate', `${c.rate} tweets/s (open loop)`],
    ['duration', `${c.durationS} s, then up to ${c.drainTimeoutS} s of drain`],
    ['authors', `${c.authors}, ${c.followers.toLocaleString('en-US')} synthetic followers each`],
    ['online followers', `${c.online} (online user i follows author i % ${c.authors})`],
    ['celebrity', c.celebrityFollowers > 0 ? `${c.celebrityFollowers.toLocaleString('en-US')} followers, ${c.celebrityPosts} post(s)` : 'none'],
    [
      'attackers',
      c.attackers > 0 ? `${c.attackers}, ${c.attackerFollowers.toLocaleString('en-US')} synthetic followers each, ${c.attackerRate} tweets/s each` : 'none',
    ],
    ['tries per tweet', String(c.maxTries)],
  ];
  return `<table class="config"><tbody>
${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('\n')}
</tbody></table>`;
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** CPU per accepted tweet by part of the stack, over the posting phase. */
function cpuSection(cpu: CpuCost): string {
  const row = (part: string, ms: number, cores: number) => `<tr><td>${escapeXml(part)}</td><td>${ms.toFixed(3)}</td><td>${cores.toFixed(2)}</td></tr>`;
  const p = cpu.perTweetMs;
  const c = cpu.cores;
  return `<h2>CPU per tweet</h2>
<section>
<table>
<thead><tr><th>part</th><th>ms of CPU per accepted tweet</th><th>cores kept busy</th></tr></thead>
<tbody>
${row(`server (${cpu.processes.server})`, p.server, c.server)}
${row(`workers (${cpu.processes.worker})`, p.workers, c.workers)}
${row('Redis', p.redis, c.redis)}
${p.redisForks > 0 ? row('Redis forks (AOF rewrite)', p.redisForks, c.redisForks) : ''}
<tr><td><strong>total</strong></td><td><strong>${p.total.toFixed(3)}</strong></td><td></td></tr>
${row('load generator (not in the total)', p.loadGenerator, c.loadGenerator)}
</tbody>
</table>
<p class="note">${escapeXml(
    `Over the posting phase: ${cpu.tweets} tweets accepted in ${cpu.seconds.toFixed(1)} s. Every server and worker publishes its own CPU time, ` +
      'and Redis its INFO cpu; both read through /metrics before and after.',
  )}</p>
</section>`;
}

/** The verdict on the ordinary authors first, then what the attackers got for their trouble. */
function attackSection(attack: AttackReport): string {
  const { ordinary: o, attackerTweets: a } = attack;
  const judged = (measured: string, met: boolean) => `<td class="${met ? 'met' : 'missed'}">${escapeXml(measured)}</td>`;
  const rows = [
    `<tr><td>refused with 503</td><td>${ATTACK_GOALS.refused}</td>${judged(String(o.refusedByStatus[503]), o.refusedByStatus[503] <= ATTACK_GOALS.refused)}</tr>`,
    `<tr><td>refused with 429</td><td>${ATTACK_GOALS.refused}</td>${judged(String(o.refusedByStatus[429]), o.refusedByStatus[429] <= ATTACK_GOALS.refused)}</tr>`,
    `<tr><td>failed tweets</td><td>${ATTACK_GOALS.failed}</td>${judged(String(o.failed), o.failed <= ATTACK_GOALS.failed)}</tr>`,
    `<tr><td>online delivery p99</td><td>≤ ${ATTACK_GOALS.onlineDeliveryP99Ms} ms</td>${judged(`${o.onlineDeliveryP99.toFixed(1)} ms`, o.onlineDeliveryP99 <= ATTACK_GOALS.onlineDeliveryP99Ms)}</tr>`,
  ];
  return `<h2>Under attack</h2>
<section>
<p class="subtitle">${escapeXml(
    `${attack.attackers} attacker(s) with ${attack.followers.toLocaleString('en-US')} synthetic followers each posted ${fmt(attack.rate)} tweets/s each ` +
      'for the whole run, retrying every refusal, while the authors above posted.',
  )}</p>
<table>
<thead><tr><th>the authors' tweets</th><th>goal</th><th>measured</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p class="${o.goalsMet ? 'met' : 'missed'}">${o.goalsMet ? 'Goals met: the attack did not crowd the authors out.' : 'Goals not met: the attack crowded the authors out.'}</p>
<h3>The attackers' own tweets</h3>
<div class="totals">
<div><strong>${a.sent}</strong>sent</div>
<div><strong>${a.accepted}</strong>accepted</div>
<div><strong>${a.refusedByStatus[503]}</strong>refused with 503</div>
<div><strong>${a.refusedByStatus[429]}</strong>refused with 429</div>
<div><strong>${a.failed}</strong>failed</div>
<div><strong>${a.accept.p99.toFixed(1)} ms</strong>accept p99</div>
<div><strong>${a.complete.p99.toFixed(1)} ms</strong>complete p99</div>
</div>
<p class="note">Refusals count every try, retries included; an attacker tweet still retrying when the posting phase ended counts as failed.</p>
</section>`;
}

/**
 * The report as one self-contained HTML page: configuration, latency table, and inline SVG
 * plots of the latency percentile spectrum, latency by second, deliveries/s and backlog over
 * time. No script, no external resource.
 */
export function renderHtmlReport(report: LoadTestReport, spectra: ReportSpectra): string {
  const c = report.config;
  const title = `Ripple load test ${c.runId}`;
  const throughput = lineChart({
    title: 'Deliveries per second',
    xLabel: 'time since start (s)',
    yLabel: 'deliveries / s',
    series: [{ name: 'deliveries/s (ripple_deliveries_total)', color: '#0072B2', points: report.series.map((p) => [p.t, p.deliveriesPerSecond] as const) }],
  });
  const backlog = lineChart({
    title: 'Fan-out backlog',
    xLabel: 'time since start (s)',
    yLabel: 'outstanding deliveries',
    series: [{ name: 'backlog (/healthz)', color: '#D55E00', points: report.series.map((p) => [p.t, p.backlog] as const) }],
  });

  const celebrity =
    report.celebrity && spectra.celebrity
      ? `<h2>Celebrity</h2>
<section>
<p class="subtitle">${report.celebrity.posts} post(s) to ${report.celebrity.followers.toLocaleString('en-US')} followers, measured apart from the other authors.</p>
${latencyTable(report.celebrity)}
<div class="totals"><div><strong>${report.celebrity.refused}</strong>refused</div><div><strong>${report.celebrity.failed}</strong>failed</div></div>
${spectrumChart('Celebrity latency by percentile', spectra.celebrity)}
</section>`
      : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeXml(title)}</h1>
<p class="subtitle">${escapeXml(`${c.rate} tweets/s for ${c.durationS} s against ${c.url}, started ${c.startedAt}`)}</p>

<h2>Configuration</h2>
<section>${configTable(report)}</section>

<h2>Latency</h2>
<section>
${latencyTable(report)}
<div class="totals">
<div><strong>${fmt(report.deliveriesPerSecond)}</strong>deliveries/s overall</div>
<div><strong>${report.refusedByStatus[503]}</strong>refused with 503</div>
<div><strong>${report.refusedByStatus[429]}</strong>refused with 429</div>
<div><strong>${report.failed}</strong>failed tweets</div>
</div>
<p class="note">Every latency is measured from the tweet's intended send time in the constant-arrival schedule, so time a request spent waiting behind a slow server counts.</p>
${spectrumChart('Latency by percentile', spectra.main)}
</section>

${report.cpu ? cpuSection(report.cpu) : ''}
${report.attack ? attackSection(report.attack) : ''}

<h2>Over time</h2>
<section>
${bySecondChart(report.latencyBySecond)}
${throughput}
${backlog}
</section>
${celebrity}
</main>
</body>
</html>
`;
}
