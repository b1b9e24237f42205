/**
 * Line charts as inline SVG strings: the HTML report must open anywhere, offline, with no
 * script and no external resource, so the plots are drawn here in Node.
 */

/** One line of a chart. */
export interface ChartSeries {
  name: string;
  color: string;
  /** SVG `stroke-dasharray`, so lines that coincide stay told apart; solid when absent. */
  dash?: string;
  /** [x, y] in data units, x ascending. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface AxisTick {
  value: number;
  label: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Fixed x ticks (e.g. the "nines" of a percentile axis); nice round ones when absent. */
  xTicks?: readonly AxisTick[];
  /** @defaultValue the smallest x of the data (or of `xTicks`) */
  xMin?: number;
  /** @defaultValue the largest x of the data (or of `xTicks`) */
  xMax?: number;
  /** @defaultValue 760 */
  width?: number;
  /** @defaultValue 340 */
  height?: number;
}

/** Escapes text for HTML and SVG content and attribute values. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** 1234 → "1.2k", 2500000 → "2.5M": axis labels stay short. */
export function shortNumber(n: number): string {
  const abs = Math.abs(n);
  const trim = (x: number) => String(Number(x.toFixed(1)));
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return trim(n);
}

/** About `count` round tick values (1, 2, 5 × 10^k steps) from `min` to at least `max`. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const MARGIN = { top: 44, right: 24, bottom: 52, left: 72 };

/** A line chart with axes, grid, axis labels and a legend, as one `<svg>` element. */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 340;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const drawn = spec.series.filter((s) => s.points.length > 0);

  const xs = drawn.flatMap((s) => s.points.map((p) => p[0])).concat((spec.xTicks ?? []).map((t) => t.value));
  const ys = drawn.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = spec.xMin ?? (xs.length ? Math.min(...xs) : 0);
  let xMax = spec.xMax ?? (xs.length ? Math.max(...xs) : 1);
  if (!(xMax > xMin)) xMax = xMin + 1;
  const yTicks = niceTicks(0, ys.length ? Math.max(...ys) : 1);
  const yMax = yTicks.at(-1)!;
  const xTicks =
    spec.xTicks ??
    niceTicks(xMin, xMax, 8)
      .filter((v) => v <= xMax)
      .map((value) => ({ value, label: shortNumber(value) }));

  const px = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(spec.title)}" class="chart">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="${MARGIN.left}" y="20" class="chart-title">${escapeXml(spec.title)}</text>`,
  ];
  for (const y of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(py(y))}" y2="${f(py(y))}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${f(py(y) + 4)}" text-anchor="end" class="tick">${escapeXml(shortNumber(y))}</text>`);
  }
  for (const tick of xTicks) {
    if (tick.value < xMin || tick.value > xMax) continue;
    parts.push(`<line x1="${f(px(tick.value))}" x2="${f(px(tick.value))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" class="grid"/>`);
    parts.push(`<text x="${f(px(tick.value))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" class="tick">${escapeXml(tick.label)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle" class="axis-label">${escapeXml(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(spec.yLabel)}</text>`);

  if (drawn.length === 0) {
    parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2}" text-anchor="middle" class="empty">no samples</text>`);
  }
  for (const series of drawn) {
    const d = series.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(px(x))},${f(py(y))}`).join(' ');
    const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : '';
    parts.push(
      `<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2" stroke-linejoin="round"${dash}><title>${escapeXml(series.name)}</title></path>`,
    );
    if (series.points.length === 1) {
      const [x, y] = series.points[0]!;
      parts.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3" fill="${series.color}"/>`);
    }
  }

  // Legend along the top right, one swatch per line, right-aligned so it never covers the title.
  let legendX = MARGIN.left + plotW;
  for (const series of [...spec.series].reverse()) {
    const textWidth = series.name.length * 6.6;
    legendX -= textWidth + 26;
    const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : '';
    parts.push(`<line x1="${f(legendX)}" x2="${f(legendX + 14)}" y1="28" y2="28" stroke="${series.color}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${f(legendX + 18)}" y="32" class="legend">${escapeXml(series.name)}</text>`);
  }

  parts.push('</svg>');
  return parts.join('\n');
}
