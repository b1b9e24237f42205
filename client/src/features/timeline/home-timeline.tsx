import { DeletionStatus } from './deletion-status';
import { TweetCard } from './tweet-card';
import { deleteErrorOf } from './timeline-deletions';
import { entryKey, entryTweetId } from './timeline-selectors';
import type { TimelineEntry } from './timeline-state';
import type { Timeline } from './use-home-timeline';

export interface HomeTimelineProps {
  /** From `useHomeTimeline`, owned by the page, which also hands `timeline.post` to the composer. */
  timeline: Timeline;
  /** Who is signed in, shown as the author of own posts the server has not answered yet. */
  me: { id: string; handle: string };
  /** Opens the journey of one of the user's own tweets, or of a delete's job. */
  onOpenJourney?: (target: JourneyTarget) => void;
}

/** Whose journey to show: a job this page knows (its own posts, its deletes), or a tweet loaded from the server. */
export type JourneyTarget = { kind: 'job'; jobId: string } | { kind: 'tweet'; tweetId: string };

function journeyTargetOf(entry: TimelineEntry, me: { id: string }): JourneyTarget | null {
  if (entry.kind === 'own') return entry.post.tweet !== null && entry.post.jobId !== null ? { kind: 'job', jobId: entry.post.jobId } : null;
  return entry.tweet.author.id === me.id ? { kind: 'tweet', tweetId: entry.tweet.id } : null;
}

/** The user's own tweets that the server has: those can be deleted. */
const isOwnPublished = (entry: TimelineEntry, me: { id: string }): boolean =>
  entry.kind === 'own' ? entry.post.tweet !== null : entry.tweet.author.id === me.id;

/** The home timeline, newest first. */
export function HomeTimeline({ timeline, me, onOpenJourney }: HomeTimelineProps) {
  const { state, retry, discard, deleteTweet, loadOlder } = timeline;
  return (
    <section className="timeline" aria-label="Home timeline">
      {state.loadError !== null && (
        <p className="notice notice--error" role="alert">
          {state.loadError}
        </p>
      )}
      {state.loaded && state.entries.length === 0 && <p className="timeline__empty">No tweets yet. Post one, or follow someone.</p>}
      <DeletionStatus deletions={state.deletions} jobs={state.jobs} onOpenJourney={onOpenJourney && ((jobId) => onOpenJourney({ kind: 'job', jobId }))} />
      {state.entries.map((entry) => {
        const tweetId = entryTweetId(entry);
        const journey = journeyTargetOf(entry, me);
        return (
          <TweetCard
            key={entryKey(entry)}
            entry={entry}
            jobs={state.jobs}
            me={me}
            onRetry={retry}
            onDiscard={discard}
            onDelete={tweetId !== null && isOwnPublished(entry, me) ? () => deleteTweet(tweetId) : undefined}
            deleteError={deleteErrorOf(state, tweetId)}
            onOpenJourney={onOpenJourney && journey !== null ? () => onOpenJourney(journey) : undefined}
          />
        );
      })}
      {state.nextBefore !== null && (
        <button type="button" className="button timeline__more" onClick={loadOlder} disabled={state.loadingOlder}>
          {state.loadingOlder ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
