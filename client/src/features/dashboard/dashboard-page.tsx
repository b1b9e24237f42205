import { useMemo } from 'react';
import type { DashboardSnapshot } from '@ripple/shared';
import type uPlot from 'uplot';
import { latestSnapshot, type DashboardConnection } from './dashboard-reducer';
import { CpuTable } from './cpu-table';
import { DeliveryMix } from './delivery-mix';
import { MetricTiles } from './metric-tiles';
import { TimeSeriesChart, type ChartSeries } from './time-series-chart';
import { useDashboardFeed, type DashboardSocket } from './use-dashboard-feed';

interface PlottedSeries extends ChartSeries {
  value: (snapshot: DashboardSnapshot) => number | null;
}

interface ChartSpec {
  name: 'deliveries' | 'backlog' | 'admission' | 'latency';
  title: string;
  series: readonly PlottedSeries[];
}

// Module-level, so each chart's series keep their identity and uPlot is built only once.
const CHARTS: readonly ChartSpec[] = [
  {
    name: 'deliveries',
    title: 'Deliveries per second',
    series: [{ label: 'deliveries/s', color: '--accent', value: (s) => s.deliveriesPerSecond }],
  },
  {
    name: 'backlog',
    title: 'Backlog (deliveries waiting)',
    series: [{ label: 'backlog', color: '--warning', value: (s) => s.backlog }],
  },
  {
    name: 'admission',
    title: 'Tweets accepted and refused per second',
    series: [
      { label: 'accepted/s', color: '--ok', value: (s) => s.acceptedPerSecond },
      { label: 'refused/s', color: '--danger', value: (s) => s.refusedPerSecond },
    ],
  },
  {
    name: 'latency',
    title: 'Fan-out time, ms (last minute)',
    series: [
      { label: 'p50', color: '--accent', value: (s) => s.fanoutP50Ms },
      { label: 'p99', color: '--warning', value: (s) => s.fanoutP99Ms },
    ],
  },
];

/** uPlot's columns for one chart: times in seconds, then one column per series. */
export function chartColumns(snapshots: readonly DashboardSnapshot[], series: readonly PlottedSeries[]): uPlot.AlignedData {
  return [snapshots.map((s) => s.t / 1000), ...series.map(({ value }) => snapshots.map(value))];
}

const CONNECTION_LABEL: Record<DashboardConnection, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

function ConnectionIndicator({ connection }: { connection: DashboardConnection }) {
  return (
    <span className="connection" role="status" data-connection={connection === 'live' ? 'live' : 'reconnecting'}>
      <span className="connection__dot" aria-hidden="true" />
      {CONNECTION_LABEL[connection]}
    </span>
  );
}

export interface DashboardPageProps {
  /** Tests pass a fake; must be stable. @defaultValue Socket.IO on namespace `/dashboard` */
  createSocket?: () => DashboardSocket;
}

/**
 * The whole system at a glance, for anyone, signed in or not: current numbers as tiles and
 * the last minute as live charts, one snapshot a second from the `/dashboard` namespace.
 */
export function DashboardPage({ createSocket }: DashboardPageProps) {
  const state = useDashboardFeed(createSocket);
  const latest = latestSnapshot(state);
  const charts = useMemo(() => CHARTS.map((chart) => ({ ...chart, data: chartColumns(state.snapshots, chart.series) })), [state.snapshots]);
  const stale = state.connection !== 'live';

  return (
    <div className="app app--wide">
      <header className="app-header dashboard__header">
        <a className="nav-link" href="/">
          ← Ripple
        </a>
        <h1 className="dashboard__title">Live dashboard</h1>
        <ConnectionIndicator connection={state.connection} />
      </header>
      <main className={stale ? 'app-main dashboard dashboard--stale' : 'app-main dashboard'}>
        <MetricTiles snapshot={latest} />
        <div className="charts">
          {charts.map(({ name, title, series, data }) => (
            <TimeSeriesChart key={name} name={name} title={title} series={series} data={data} />
          ))}
        </div>
        <DeliveryMix snapshots={state.snapshots} />
        <CpuTable snapshot={latest} />
        <p className="notice">
          Whole-system numbers, one snapshot a second; charts cover the last minute.
          {latest !== null && ` Last update ${new Date(latest.t).toLocaleTimeString('en-US', { hour12: false })}.`}
        </p>
      </main>
    </div>
  );
}
