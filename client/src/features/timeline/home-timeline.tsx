import { useMemo } from 'react';
import type { RippleApi } from '../../api/ripple-api';
import type { Realtime } from '../../api/socket';
import { ComposeBox } from '../compose/compose-box';
import { createOutboxStore } from './outbox-store';
import { entryKey } from './timeline-selectors';
import { TweetCard } from './tweet-card';
import { useHomeTimeline } from './use-home-timeline';

export interface HomeTimelineProps {
  api: RippleApi;
  realtime: Realtime;
  me: { id: string; handle: string };
  /**
   * Where posts not yet accepted survive a reload, under `me.id`.
   * @defaultValue `window.localStorage`
   */
  storage?: Storage;
}

/** The composer and the home timeline beneath it, newest first. */
export function HomeTimeline({ api, realtime, me, storage = window.localStorage }: HomeTimelineProps) {
  const outbox = useMemo(() => createOutboxStore(storage, me.id), [storage, me.id]);
  const { state, post, retry, discard, loadOlder } = useHomeTimeline(api, realtime, outbox);

  return (
    <>
      <ComposeBox onPost={post} />
      <section className="timeline" aria-label="Home timeline">
        {state.loadError !== null && (
          <p className="notice notice--error" role="alert">
            {state.loadError}
          </p>
        )}
        {state.loaded && state.entries.length === 0 && (
          <p className="timeline__empty">No tweets yet. Post one, or follow someone.</p>
        )}
        {state.entries.map((entry) => (
          <TweetCard
            key={entryKey(entry)}
            entry={entry}
            jobs={state.jobs}
            me={me}
            onRetry={retry}
            onDiscard={discard}
          />
        ))}
        {state.nextBefore !== null && (
          <button type="button" className="button timeline__more" onClick={loadOlder} disabled={state.loadingOlder}>
            {state.loadingOlder ? 'Loading…' : 'Load more'}
          </button>
        )}
      </section>
    </>
  );
}
