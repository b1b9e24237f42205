import { useCallback, useEffect, useState } from 'react';
import type { User } from '@ripple/shared';
import { createHttp, type FetchFn } from './api/http';
import { createRippleApi } from './api/ripple-api';
import { createRealtime, type RealtimeOptions } from './api/socket';
import type { Session } from './features/auth/session-store';
import { SyntheticFollowers } from './features/demo/synthetic-followers';
import { FollowPanel } from './features/follow/follow-panel';
import { HomeTimeline } from './features/timeline/home-timeline';

export interface HomePageProps {
  session: Session;
  onSignOut: () => void;
  onUserChange: (user: User) => void;
  /** Tests pass fakes; the page uses the real fetch and Socket.IO otherwise. */
  fetch?: FetchFn;
  createSocket?: RealtimeOptions['createSocket'];
}

/**
 * Everything a signed-in user sees. It owns the API client and the socket for one session;
 * the app remounts it when the session changes, so nothing leaks from one user to the next.
 */
export function HomePage({ session, onSignOut, onUserChange, fetch, createSocket }: HomePageProps) {
  const [api] = useState(() =>
    createRippleApi(createHttp({ fetch, getToken: () => session.token, onUnauthorized: onSignOut })),
  );
  const [realtime] = useState(() => createRealtime({ token: session.token, onUnauthorized: onSignOut, createSocket }));

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
      <HomeTimeline api={api} realtime={realtime} me={session.user} />
    </>
  );
}
