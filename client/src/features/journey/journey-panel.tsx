import { useEffect, useState } from 'react';
import type { JobJourney } from '@ripple/shared';
import type { Realtime } from '../../api/socket';
import { formatDuration, journeyLines, totalDuration } from './journey-steps';

export interface JourneyPanelProps {
  /** Reads the journey (GET /api/jobs/:id/journey, or by the tweet); must be stable while the panel is open. */
  loadJourney: () => Promise<JobJourney>;
  realtime: Realtime;
  /** The job, when the page knows it; else the first answer names it, and events before that are caught up by it. */
  jobId: string | null;
  /** ms from sending the post to its 202, when this page sent it; null otherwise. */
  acceptLatencyMs: number | null;
  onClose: () => void;
}

/** The job's live count while it runs, from its progress events. */
interface Live {
  delivered: number;
  total: number;
}

/**
 * A tweet's journey: its job's life step by step (accepted, queued, each entry started and by
 * which worker, takeovers after a crash, retries, done), with the time between steps. While it
 * is open, the job's progress events move its count and fetch the journey again, one request at
 * a time: an event that lands while one is out asks for one more after it.
 */
export function JourneyPanel({ loadJourney, realtime, jobId, acceptLatencyMs, onClose }: JourneyPanelProps) {
  const [journey, setJourney] = useState<JobJourney | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<Live | null>(null);

  useEffect(() => {
    let closed = false;
    let inFlight = false;
    let again = false;
    let ofJob = jobId;
    const refresh = () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      loadJourney()
        .then(
          (loaded) => {
            if (closed) return;
            ofJob = loaded.job.id;
            setJourney(loaded);
            setError(null);
          },
          (err: unknown) => !closed && setError(err instanceof Error ? err.message : String(err)),
        )
        .finally(() => {
          inFlight = false;
          if (again && !closed) {
            again = false;
            refresh();
          }
        });
    };
    const ofThisJob = (payload: { jobId: string }) => payload.jobId === ofJob;
    const offs = [
      realtime.on('fanout:progress', (p) => {
        if (!ofThisJob(p)) return;
        setLive({ delivered: p.delivered, total: p.total });
        refresh();
      }),
      realtime.on('fanout:done', (p) => {
        if (!ofThisJob(p)) return;
        setLive({ delivered: p.delivered, total: p.total });
        refresh();
      }),
      realtime.on('fanout:failed', (p) => ofThisJob(p) && refresh()),
      realtime.on('tweet:published', (p) => ofThisJob(p) && refresh()),
    ];
    refresh();
    return () => {
      closed = true;
      offs.forEach((off) => off());
    };
  }, [loadJourney, realtime, jobId]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const lines = journey ? journeyLines(journey, acceptLatencyMs) : [];
  const total = journey ? totalDuration(journey) : null;
  const job = journey?.job;
  const delivered = Math.max(live?.delivered ?? 0, job?.delivered ?? 0);
  const running = job !== undefined && (job.status === 'queued' || job.status === 'running');

  return (
    <aside className="card journey" aria-label="Tweet journey" data-job-id={job?.id ?? jobId ?? undefined}>
      <header className="journey__header">
        <h2 className="journey__title">{job?.kind === 'delete' ? "A delete's journey" : "This tweet's journey"}</h2>
        <button type="button" className="button button--small button--quiet" onClick={onClose} aria-label="Close journey">
          Close
        </button>
      </header>
      {error !== null && (
        <p className="notice notice--error" role="alert">
          Could not load the journey: {error}
        </p>
      )}
      {job && (
        <p className="journey__summary" data-status={job.status}>
          Job {job.id}, {job.delivery}: {delivered.toLocaleString('en-US')} of {(live?.total ?? job.total).toLocaleString('en-US')} delivered
          {total !== null && `, ${job.status} ${formatDuration(total)} after it was accepted`}
          {running && ' (live)'}
        </p>
      )}
      <ol className="journey__steps">
        {lines.map((line) => (
          <li key={line.key} className="journey__step" data-kind={line.kind}>
            <span className="journey__since">{line.sinceBefore === null ? '' : `+${formatDuration(line.sinceBefore)}`}</span>
            <span className="journey__dot" aria-hidden="true" />
            <div className="journey__body">
              <strong className="journey__what">{line.title}</strong>
              <time className="journey__at" dateTime={line.at}>
                {new Date(line.at).toLocaleTimeString('en-US', { hour12: false })}.{String(new Date(line.at).getMilliseconds()).padStart(3, '0')}
              </time>
              {line.detail !== null && <p className="journey__detail">{line.detail}</p>}
            </div>
          </li>
        ))}
        {running && (
          <li className="journey__step journey__step--pending" data-kind="pending">
            <span className="journey__since" />
            <span className="journey__dot" aria-hidden="true" />
            <div className="journey__body">
              <strong className="journey__what">On its way…</strong>
            </div>
          </li>
        )}
      </ol>
      {journey?.truncated && <p className="notice">Only the first steps of this job were kept.</p>}
    </aside>
  );
}
