import { useEffect, useState } from 'react';
import type { Delivery } from './delivery';
import type { PendingRetry, RetryCause } from './timeline-state';

export interface DeliveryStatusProps {
  delivery: Delivery;
  onRetry: () => void;
  onDiscard: () => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const followers = (n: number) => (n === 1 ? 'follower' : 'followers');

const CAUSE_LABEL: Record<RetryCause, string> = {
  busy: 'server busy',
  offline: 'offline',
  'no-answer': 'no answer',
};

/** Whole seconds left until `at`, re-rendered as each one passes. */
function useSecondsUntil(at: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const showCurrentSecond = () => {
      const current = Date.now();
      setNow(current);
      const left = at - current;
      // Wake when the shown number changes, not on a drifting one-second interval.
      if (left > 0) timer = setTimeout(showCurrentSecond, left % 1000 || 1000);
    };
    showCurrentSecond();
    return () => clearTimeout(timer);
  }, [at]);
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function RetryCountdown({ cause, at }: { cause: RetryCause; at: number }) {
  const seconds = useSecondsUntil(at);
  const label = CAUSE_LABEL[cause];
  return <span className="delivery__text">{seconds > 0 ? `${label}, retrying in ${seconds} s` : `${label}, retrying now`}</span>;
}

/**
 * Which way the tweet travelled and why: written into each follower's timeline (fan-out on
 * write), or left for their reads to merge in (fan-out on read), by its audience against the
 * threshold the server judged it by.
 */
function RouteNote({ route, total }: { route: NonNullable<Delivery['route']>; total: number }) {
  const threshold = route.onReadThreshold;
  if (route.delivery === 'on-read') {
    return (
      <span className="delivery__route" data-delivery="on-read">
        on read — you have {count(total)} {followers(total)}, above the {count(threshold ?? 0)} threshold: no timeline is written, each follower&apos;s reads
        merge it in
      </span>
    );
  }
  if (route.delivery === 'inline') {
    return (
      <span className="delivery__way" title="A small audience: the server delivers it inside the request, with no queue.">
        inline, in the request
      </span>
    );
  }
  if (route.delivery === 'fan-out' && threshold !== null) {
    return (
      <span className="delivery__route" data-delivery="fan-out">
        on write — {count(total)} {followers(total)}, not above the {count(threshold)} on-read threshold
      </span>
    );
  }
  return null;
}

function RetryNotice({ retry }: { retry: PendingRetry }) {
  if (retry.at === null) return <span className="delivery__text">offline, sending when back online</span>;
  // Keyed by the deadline so a new wait starts from a fresh clock reading.
  return <RetryCountdown key={retry.at} cause={retry.cause} at={retry.at} />;
}

/**
 * The status line under an own tweet: whether it has reached the server, when the next try
 * goes out while the server pushes back, and how far its fan-out to followers has come.
 */
export function DeliveryStatus({ delivery, onRetry, onDiscard }: DeliveryStatusProps) {
  const { status, delivered, total, reason, retry, route, skipped } = delivery;
  return (
    <div className={`delivery delivery--${status}`}>
      {status === 'sending' && <span className="delivery__text">sending…</span>}
      {status === 'retrying' && retry !== null && (
        <>
          <RetryNotice retry={retry} />
          <span className="delivery__actions">
            <button type="button" className="button button--small button--quiet" onClick={onDiscard}>
              Discard
            </button>
          </span>
        </>
      )}
      {status === 'queued' && <span className="delivery__text">queued</span>}
      {status === 'delivering' && (
        <>
          <progress className="delivery__bar" value={delivered} max={Math.max(total, 1)} />
          <span className="delivery__text">
            delivered to {count(delivered)} of {count(total)} {followers(total)}
          </span>
        </>
      )}
      {status === 'delivered' && route?.delivery !== 'on-read' && (
        <span className="delivery__text">
          delivered to {count(total)} {followers(total)}
        </span>
      )}
      {skipped > 0 && status === 'delivered' && (
        <span className="delivery__skipped">
          {count(skipped)} inactive {followers(skipped)} left out: their timelines are rebuilt when they come back
        </span>
      )}
      {route && status !== 'failed' && <RouteNote route={route} total={total} />}
      {status === 'failed' && (
        <>
          <span className="delivery__text">failed: {reason}</span>
          <span className="delivery__actions">
            <button type="button" className="button button--small" onClick={onRetry}>
              Retry
            </button>
            <button type="button" className="button button--small button--quiet" onClick={onDiscard}>
              Discard
            </button>
          </span>
        </>
      )}
    </div>
  );
}
