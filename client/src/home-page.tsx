import { useCallback, useEffect, useState } from 'react';
import type { JobJourney, User } from '@ripple/shared';
import { createHttp, type FetchFn } from './api/http';
import { withRetry, type RetryPolicy } from './api/retry';
import { createRippleApi } from './api/ripple-api';
import { createRealtime, type RealtimeOptions } from './api/socket';
import type { Session } from './features/auth/session-store';
import { ComposeBox } from './features/compose/compose-box';
import { SyntheticFollowers } from './features/demo/synthetic-followers';
import { FollowPanel } from './features/follow/follow-panel';
import { timingAccepts } from './features/journey/accept-latencies';
import { JourneyPanel } from './features/journey/journey-panel';
import { ScheduledList } from './features/scheduled/scheduled-list';
import { HomeTimeline, type JourneyTarget } from './features/timeline/home-timeline';
import { createOutboxStore } from './features/timeline/outbox-store';
import { useHomeTimeline } from './features/timeline/use-home-timeline';

export interface HomePageProps {
  session: Session;
  onSignOut: () => void;
  onUserChange: (user: User) => void;
  /** Tests pass fakes; the page uses the real fetch and Socket.IO otherwise. */
  fetch?: FetchFn;
  createSocket?: RealtimeOptions['createSocket'];
  /** Where unsent posts survive a reload. @defaultValue `window.localStorage` */
  storage?: Storage;
  /** How requests ride out back pressure; tests shorten it. @defaultValue the `withRetry` defaults */
  retryPolicy?: RetryPolicy;
}

/**
 * Everything a signed-in user sees. It owns the API client and the socket for one session;
 * the app remounts it when the session changes, so nothing leaks from one user to the next.
 * Its requests retry on back pressure (`withRetry` repeats only what is safe to repeat:
 * GET, DELETE, and POST /api/tweets with its Idempotency-Key). Sign-in and sign-up use the
 * app's own client, which never retries.
 *
 * Features never import each other: the page owns the timeline and hands its `post` to the
 * composer.
 */
export function HomePage({ session, onSignOut, onUserChange, fetch, createSocket, storage, retryPolicy }: HomePageProps) {
  const [{ api, latencies: acceptLatencies }] = useState(() =>
    timingAccepts(createRippleApi(withRetry(createHttp({ fetch, getToken: () => session.token, onUnauthorized: onSignOut }), retryPolicy))),
  );
  const [journey, setJourney] = useState<OpenJourney | null>(null);
  const openJourney = useCallback(
    (target: JourneyTarget) =>
      setJourney(
        target.kind === 'job'
          ? {
              key: `job:${target.jobId}`,
              jobId: target.jobId,
              load: () => api.journey(target.jobId),
              acceptLatencyMs: acceptLatencies.get(target.jobId) ?? null,
            }
          : { key: `tweet:${target.tweetId}`, jobId: null, load: () => api.tweetJourney(target.tweetId), acceptLatencyMs: null },
      ),
    [api, acceptLatencies],
  );
  const closeJourney = useCallback(() => setJourney(null), []);
  const [realtime] = useState(() => createRealtime({ token: session.token, onUnauthorized: onSignOut, createSocket }));
  const [outbox] = useState(() => createOutboxStore(storage ?? window.localStorage, session.user.id));
  // Called before the socket opens below, so the timeline listens before the first `connect`.
  const timeline = useHomeTimeline(api, realtime, outbox);

  useEffect(() => {
    realtime.open();
    return () => realtime.close();
  }, [realtime]);

  const refreshMe = useCallback(() => {
    // A failed refresh leaves the last known counts up; a 401 signs out through the client.
    api.me().then(onUserChange, () => undefined);
  }, [api, onUserChange]);

  useEffect(refreshMe, [refreshMe]);

  return (
    <>
      <div className="card account">
        <FollowPanel api={api} user={session.user} onChanged={refreshMe} />
        <SyntheticFollowers api={api} onUser={onUserChange} />
      </div>
      <ComposeBox onPost={timeline.post} onSchedule={timeline.schedule} />
      <ScheduledList tweets={timeline.state.scheduled} error={timeline.state.scheduleError} onCancel={timeline.cancelScheduled} />
      <HomeTimeline timeline={timeline} me={session.user} onOpenJourney={openJourney} />
      {journey !== null && (
        <JourneyPanel
          key={journey.key}
          loadJourney={journey.load}
          realtime={realtime}
          jobId={journey.jobId}
          acceptLatencyMs={journey.acceptLatencyMs}
          onClose={closeJourney}
        />
      )}
    </>
  );
}

/** The journey shown: how to load it, and what the page knows of it. */
interface OpenJourney {
  key: string;
  jobId: string | null;
  load: () => Promise<JobJourney>;
  acceptLatencyMs: number | null;
}
