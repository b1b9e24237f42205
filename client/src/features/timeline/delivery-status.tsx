import type { Delivery } from './timeline-reducer';

export interface DeliveryStatusProps {
  delivery: Delivery;
  onRetry: () => void;
  onDiscard: () => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const followers = (n: number) => (n === 1 ? 'follower' : 'followers');

/** The status line under an own tweet: how far its fan-out to followers has come. */
export function DeliveryStatus({ delivery, onRetry, onDiscard }: DeliveryStatusProps) {
  const { status, delivered, total, reason } = delivery;
  return (
    <div className={`delivery delivery--${status}`}>
      {status === 'sending' && <span className="delivery__text">sending…</span>}
      {status === 'queued' && <span className="delivery__text">queued</span>}
      {status === 'delivering' && (
        <>
          <progress className="delivery__bar" value={delivered} max={Math.max(total, 1)} />
          <span className="delivery__text">
            delivered to {count(delivered)} of {count(total)} {followers(total)}
          </span>
        </>
      )}
      {status === 'delivered' && <span className="delivery__text">
          delivered to {count(total)} {followers(total)}
        </span>}
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
