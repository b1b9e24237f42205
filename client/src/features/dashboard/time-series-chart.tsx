import { useEffect, useRef, type CSSProperties } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Plot height in CSS pixels; the width follows the container. */
export const CHART_HEIGHT = 160;

export interface ChartSeries {
  label: string;
  /** A colour variable of styles.css, e.g. `--accent`, so charts follow the light or dark theme. */
  color: `--${string}`;
}

export interface TimeSeriesChartProps {
  /** Becomes `data-chart`, the chart's stable name for browser tests. */
  name: string;
  title: string;
  series: readonly ChartSeries[];
  /** `[times in seconds, ...one column per series]`; a null value leaves a gap in its line. */
  data: uPlot.AlignedData;
}

let canvasUsable: boolean | undefined;

/**
 * Whether this browser can draw the charts. jsdom has no canvas (getContext answers null) and
 * no ResizeObserver; there the charts stay empty boxes and everything else works.
 */
function canDrawCharts(): boolean {
  if (canvasUsable === undefined) {
    try {
      canvasUsable = typeof ResizeObserver !== 'undefined' && document.createElement('canvas').getContext('2d') !== null;
    } catch {
      canvasUsable = false;
    }
  }
  return canvasUsable;
}

/**
 * uPlot is loaded on first use: pages other than the dashboard never download it, and it is
 * never evaluated where it cannot draw (it reads matchMedia as soon as it loads).
 */
const loadUplot = (): Promise<typeof uPlot> => import('uplot').then((module) => module.default);

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const clock = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

function chartOptions(plot: HTMLElement, series: readonly ChartSeries[]): uPlot.Options {
  const style = getComputedStyle(plot);
  const color = (variable: string): string => style.getPropertyValue(variable).trim();
  const axis: uPlot.Axis = {
    stroke: color('--muted'),
    grid: { stroke: color('--border'), width: 1 },
    ticks: { stroke: color('--border'), width: 1 },
  };
  return {
    width: plot.clientWidth,
    height: CHART_HEIGHT,
    // The figure's caption is the key; uPlot's own legend would add a row of "--" under each chart.
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    // Room on the right for half of the newest time label, which sits on the plot's edge.
    padding: [12, 32, 0, 0],
    // Rates and counts start at zero, so a flat line near the top does not look like a spike.
    scales: { y: { range: (_chart, _min, max) => [0, Number.isFinite(max) && max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis, size: 36, space: 80, values: (_chart, splits) => splits.map((seconds) => clock.format(seconds * 1000)) },
      { ...axis, size: 52, values: (_chart, splits) => splits.map((n) => compact.format(n)) },
    ],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: color(s.color), width: 2, points: { show: false } }))],
  };
}

/**
 * A small live line chart over time, drawn by uPlot. It is created once, fed each new `data`
 * with `setData`, and resized with its container (the height stays `CHART_HEIGHT`).
 */
export function TimeSeriesChart({ name, title, series, data }: TimeSeriesChartProps) {
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<uPlot | null>(null);
  // uPlot arrives asynchronously; it starts from whatever data is newest by then.
  const dataRef = useRef(data);

  useEffect(() => {
    const plot = plotRef.current;
    if (plot === null || !canDrawCharts()) return;
    let cancelled = false;
    let chart: uPlot | null = null;
    let observer: ResizeObserver | null = null;

    loadUplot().then(
      (UPlot) => {
        if (cancelled) return;
        chart = new UPlot(chartOptions(plot, series), dataRef.current, plot);
        chartRef.current = chart;
        observer = new ResizeObserver(() => chart?.setSize({ width: plot.clientWidth, height: CHART_HEIGHT }));
        observer.observe(plot);
      },
      // The tiles still carry every number; a chart that cannot load stays an empty box.
      () => undefined,
    );

    return () => {
      cancelled = true;
      observer?.disconnect();
      chart?.destroy();
      chartRef.current = null;
    };
  }, [series]);

  useEffect(() => {
    dataRef.current = data;
    chartRef.current?.setData(data);
  }, [data]);

  return (
    <figure className="card chart" data-chart={name}>
      <figcaption className="chart__caption">
        <span className="chart__title">{title}</span>
        {series.length > 1 && (
          <span className="chart__key">
            {series.map(({ label, color }) => (
              <span key={label} className="chart__key-item" style={{ '--series-color': `var(${color})` } as CSSProperties}>
                {label}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      <div ref={plotRef} className="chart__plot" />
    </figure>
  );
}
