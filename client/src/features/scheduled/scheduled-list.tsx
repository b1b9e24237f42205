import type { Tweet } from '@ripple/shared';
import { useNow } from '../../hooks/use-now';

export interface ScheduledListProps {
  /** The user's tweets waiting to be published, soonest first (the page's timeline state). */
  tweets: Tweet[];
  /** Why the last scheduling or cancelling failed; null when it did not. */
  error: string | null;
  onCancel: (tweetId: string) => void;
}

/** "2 d 3 h", "1 h 02 min", "4 min 05 s", "9 s": the two largest units left. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const [d, h, m, sec] = [Math.floor(s / 86_400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${two(m)} min`;
  if (m > 0) return `${m} min ${two(sec)} s`;
  return `${sec} s`;
}

const formatWhen = (iso: string) => new Date(iso).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * The user's scheduled tweets with a live countdown each, and Cancel. A tweet leaves the list
 * when the server says it is published (it then shows in the timeline) or cancelled; one whose
 * time has come reads "publishing…" until then.
 */
export function ScheduledList({ tweets, error, onCancel }: ScheduledListProps) {
  const now = useNow(1000);
  if (tweets.length === 0 && error === null) return null;
  return (
    <section className="card scheduled" aria-label="Scheduled tweets">
      <h2 className="scheduled__title">Scheduled</h2>
      {error !== null && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <ul className="scheduled__list">
        {tweets.map((tweet) => {
          const left = Date.parse(tweet.publishAt ?? tweet.createdAt) - now;
          return (
            <li key={tweet.id} className="scheduled__item" data-tweet-id={tweet.id}>
              <p className="scheduled__text">{tweet.text}</p>
              <div className="scheduled__meta">
                <time dateTime={tweet.publishAt}>{formatWhen(tweet.publishAt ?? tweet.createdAt)}</time>
                <span className="scheduled__countdown" aria-live="off">
                  {left > 0 ? `in ${countdown(left)}` : 'publishing…'}
                </span>
                <button type="button" className="button" onClick={() => onCancel(tweet.id)} disabled={left <= 0}>
                  Cancel
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
