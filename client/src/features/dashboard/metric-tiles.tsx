import type { DashboardSnapshot } from '@ripple/shared';

/** The snapshot fields shown as tiles: every one except the time, the CPU table's and the delivery mix's. */
export type Metric = Exclude<keyof DashboardSnapshot, 't' | 'cpu' | 'deliveryMix'>;

/** Draws the eye to a number that needs someone's attention. */
type Tone = 'normal' | 'warning' | 'danger';

interface TileSpec {
  metric: Metric;
  label: string;
  unit: string;
  tone?: (value: number) => Tone;
}

const TILES: TileSpec[] = [
  { metric: 'backlog', label: 'Backlog', unit: 'deliveries waiting' },
  { metric: 'deliveriesPerSecond', label: 'Deliveries', unit: 'per second' },
  { metric: 'acceptedPerSecond', label: 'Accepted', unit: 'tweets per second' },
  { metric: 'refusedPerSecond', label: 'Refused', unit: 'tweets per second', tone: (n) => (n > 0 ? 'warning' : 'normal') },
  { metric: 'fanoutP50Ms', label: 'Fan-out p50', unit: 'ms, last minute' },
  { metric: 'fanoutP99Ms', label: 'Fan-out p99', unit: 'ms, last minute' },
  { metric: 'workersAlive', label: 'Workers alive', unit: 'heartbeating', tone: (n) => (n === 0 ? 'danger' : 'normal') },
  { metric: 'deadLetters', label: 'Dead letters', unit: 'failed for good', tone: (n) => (n > 0 ? 'danger' : 'normal') },
  { metric: 'scheduledWaiting', label: 'Scheduled', unit: 'tweets waiting to publish' },
];

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/**
 * A metric as the tiles show it: en-US grouping ("12,345"), one decimal only where a whole
 * number would hide the value (0.4/s, 2.5 ms), and "–" for a value the server does not have.
 */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return (Math.abs(value) < 10 ? oneDecimal : whole).format(value);
}

export interface MetricTilesProps {
  /** The newest snapshot; null before the first arrives, when every tile shows "–". */
  snapshot: DashboardSnapshot | null;
}

/** The current value of every metric, large enough to read across a room. */
export function MetricTiles({ snapshot }: MetricTilesProps) {
  return (
    <dl className="tiles">
      {TILES.map(({ metric, label, unit, tone }) => {
        const value = snapshot === null ? null : snapshot[metric];
        return (
          <div key={metric} className="card tile" data-metric={metric} data-tone={value === null || tone === undefined ? 'normal' : tone(value)}>
            <dt className="tile__label">{label}</dt>
            <dd className="tile__value">{formatMetric(value)}</dd>
            <dd className="tile__unit">{unit}</dd>
          </div>
        );
      })}
    </dl>
  );
}
