import { TweetCard } from './tweet-card';
import { entryKey } from './timeline-selectors';
import type { Timeline } from './use-home-timeline';

export interface HomeTimelineProps {
  /** From `useHomeTimeline`, owned by the page, which also hands `timeline.post` to the composer. */
  timeline: Timeline;
  /** Who is signed in, shown as the author of own posts the server has not answered yet. */
  me: { id: string; handle: string };
}

/** The home timeline, newest first. */
export function HomeTimeline({ timeline, me }: HomeTimelineProps) {
  const { state, retry, discard, loadOlder } = timeline;
  return (
    <section className="timeline" aria-label="Home timeline">
      {state.loadError !== null && (
        <p className="notice notice--error" role="alert">
          {state.loadError}
        </p>
      )}
      {state.loaded && state.entries.length === 0 && <p className="timeline__empty">No tweets yet. Post one, or follow someone.</p>}
      {state.entries.map((entry) => (
        <TweetCard key={entryKey(entry)} entry={entry} jobs={state.jobs} me={me} onRetry={retry} onDiscard={discard} />
      ))}
      {state.nextBefore !== null && (
        <button type="button" className="button timeline__more" onClick={loadOlder} disabled={state.loadingOlder}>
          {state.loadingOlder ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
