import type { DashboardSnapshot } from '@ripple/shared';

type Mode = keyof DashboardSnapshot['deliveryMix'];

const MODES: readonly { mode: Mode; label: string; color: string }[] = [
  { mode: 'fanOut', label: 'fan-out', color: 'var(--accent)' },
  { mode: 'inline', label: 'inline', color: 'var(--ok)' },
  { mode: 'onRead', label: 'on read', color: 'var(--warning)' },
];

/**
 * Tweets sent on their way per delivery mode over the snapshots given: each snapshot's rate times the
 * seconds since the one before it (a second, unless a reading was missed).
 */
export function deliveryMixOf(snapshots: readonly DashboardSnapshot[]): Record<Mode, number> {
  const mix: Record<Mode, number> = { fanOut: 0, inline: 0, onRead: 0 };
  snapshots.forEach((snapshot, i) => {
    const seconds = i === 0 ? 1 : (snapshot.t - snapshots[i - 1]!.t) / 1000;
    for (const { mode } of MODES) mix[mode] += snapshot.deliveryMix[mode] * seconds;
  });
  for (const { mode } of MODES) mix[mode] = Math.round(mix[mode]);
  return mix;
}

export interface DeliveryMixProps {
  /** The last minute of snapshots, oldest first. */
  snapshots: readonly DashboardSnapshot[];
}

/**
 * How the tweets of the last minute travel: written into every follower's timeline by the
 * workers (fan-out), in the request itself (inline), or merged in when followers read (on read).
 */
export function DeliveryMix({ snapshots }: DeliveryMixProps) {
  const mix = deliveryMixOf(snapshots);
  const total = MODES.reduce((sum, { mode }) => sum + mix[mode], 0);
  const share = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 100));
  return (
    <section className="card mix" aria-label="Delivery mix">
      <h2 className="mix__title">How tweets travel (last minute)</h2>
      <div className="mix__bar" role="img" aria-label={MODES.map(({ mode, label }) => `${label} ${share(mix[mode])}%`).join(', ')}>
        {total > 0 &&
          MODES.filter(({ mode }) => mix[mode] > 0).map(({ mode, color }) => (
            <span key={mode} className="mix__segment" style={{ width: `${(mix[mode] / total) * 100}%`, background: color }} />
          ))}
      </div>
      <ul className="mix__legend">
        {MODES.map(({ mode, label, color }) => (
          <li key={mode} data-mode={mode}>
            <span className="mix__swatch" style={{ background: color }} aria-hidden="true" />
            {label}: <strong>{mix[mode]}</strong> {total > 0 && `(${share(mix[mode])}%)`}
          </li>
        ))}
      </ul>
    </section>
  );
}
