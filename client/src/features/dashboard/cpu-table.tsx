import type { DashboardSnapshot } from '@ripple/shared';

const cores = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ms = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const rate = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const activity = (perSecond: number | undefined) => (perSecond === undefined ? '–' : rate.format(perSecond));

export interface CpuTableProps {
  snapshot: DashboardSnapshot | null;
}

/**
 * What each process costs: cores kept busy over the last second, and, while tweets are being
 * accepted, ms of CPU per accepted tweet, the figure the load test reports for the whole run.
 * Each worker's activity beside it: fan-out entries (a chunk, or a small tweet) it ran to their
 * end per second, and the deliveries they counted; the same numbers a tweet's journey names its
 * workers by.
 */
export function CpuTable({ snapshot }: CpuTableProps) {
  const rows = snapshot?.cpu ?? [];
  const accepted = snapshot?.acceptedPerSecond ?? 0;
  const perTweet = (used: number) => (accepted > 0 ? ms.format((used * 1000) / accepted) : '–');
  const total = rows.reduce((sum, row) => sum + row.cores, 0);
  return (
    <section className="card cpu" aria-label="CPU by process">
      <h2 className="cpu__title">CPU and work by process</h2>
      <table className="cpu__table">
        <thead>
          <tr>
            <th scope="col">process</th>
            <th scope="col">cores</th>
            <th scope="col">ms per tweet</th>
            <th scope="col">entries/s</th>
            <th scope="col">deliveries/s</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.role}:${row.process}`} data-role={row.role}>
              <td>
                {row.role} <span className="cpu__name">{row.process}</span>
              </td>
              <td>{cores.format(row.cores)}</td>
              <td>{perTweet(row.cores)}</td>
              <td data-column="entries">{activity(row.entriesPerSecond)}</td>
              <td data-column="deliveries">{activity(row.deliveriesPerSecond)}</td>
            </tr>
          ))}
        </tbody>
        {rows.length > 0 && (
          <tfoot>
            <tr>
              <th scope="row">all</th>
              <td>{cores.format(total)}</td>
              <td>{perTweet(total)}</td>
              <td />
              <td />
            </tr>
          </tfoot>
        )}
      </table>
    </section>
  );
}
