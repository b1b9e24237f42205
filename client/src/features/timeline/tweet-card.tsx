import type { MouseEvent } from 'react';
import type { Tweet } from '@ripple/shared';
import { DeliveryStatus } from './delivery-status';
import { deliveryOf } from './delivery';
import { entryKey } from './timeline-selectors';
import type { JobProgress, TimelineEntry } from './timeline-state';

export interface TweetCardProps {
  entry: TimelineEntry;
  jobs: Record<string, JobProgress>;
  /** Who is signed in, shown as the author of a post the server has not answered yet. */
  me: { id: string; handle: string };
  onRetry: (localId: string) => void;
  onDiscard: (localId: string) => void;
  /** Present on the user's own published tweets. */
  onDelete?: () => void;
  /** Why the last delete of this tweet failed (it is back on screen); null if none did. */
  deleteError: string | null;
  /** Present on the user's own tweets whose job is known: opens the tweet's journey. */
  onOpenJourney?: () => void;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/** One tweet. Its text is rendered as text only: React escapes it. */
export function TweetCard({ entry, jobs, me, onRetry, onDiscard, onDelete, deleteError, onOpenJourney }: TweetCardProps) {
  const tweet: Pick<Tweet, 'text' | 'createdAt' | 'author'> = entry.kind === 'tweet' ? entry.tweet : (entry.post.tweet ?? { ...entry.post, author: me });
  const id = entry.kind === 'tweet' ? entry.tweet.id : (entry.post.tweet?.id ?? entry.post.localId);
  const delivery = entry.kind === 'own' ? deliveryOf(entry.post, jobs) : null;
  const animated = entry.kind === 'own' || entry.arrived;

  // A click anywhere on the card but its buttons opens the journey; the Journey button is the keyboard's way.
  const openFromCard = onOpenJourney && ((event: MouseEvent) => !(event.target as Element).closest('button, a') && onOpenJourney());

  return (
    <article
      className={`card tweet${animated ? ' tweet--arrived' : ''}${onOpenJourney ? ' tweet--openable' : ''}`}
      data-tweet-id={id}
      data-status={delivery?.status}
      aria-label={`Tweet by @${tweet.author.handle}`}
      onClick={openFromCard}
    >
      <header className="tweet__meta">
        <span className="tweet__author">@{tweet.author.handle}</span>
        <time className="tweet__time" dateTime={tweet.createdAt}>
          {formatTime(tweet.createdAt)}
        </time>
        {onOpenJourney && (
          <button type="button" className="button button--small button--quiet tweet__journey" onClick={onOpenJourney} aria-label="Show journey">
            Journey
          </button>
        )}
        {onDelete && (
          <button type="button" className="button button--small button--quiet tweet__delete" onClick={onDelete} aria-label="Delete tweet">
            Delete
          </button>
        )}
      </header>
      <p className="tweet__text">{tweet.text}</p>
      {deleteError !== null && (
        <p className="notice notice--error tweet__delete-error" role="alert">
          Could not delete: {deleteError}
        </p>
      )}
      {entry.kind === 'own' && delivery && (
        <DeliveryStatus delivery={delivery} onRetry={() => onRetry(entryKey(entry))} onDiscard={() => onDiscard(entryKey(entry))} />
      )}
    </article>
  );
}
