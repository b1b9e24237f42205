import { useCallback, useState } from 'react';
import type { User } from '@ripple/shared';
import { createHttp, type FetchFn } from './api/http';
import { createRippleApi } from './api/ripple-api';
import type { RealtimeOptions } from './api/socket';
import { AuthForm } from './features/auth/auth-form';
import { createSessionStore, type Session } from './features/auth/session-store';
import { DashboardPage } from './features/dashboard/dashboard-page';
import type { DashboardSocket } from './features/dashboard/use-dashboard-feed';
import { HomePage } from './home-page';

export interface AppProps {
  /** Where the session survives a reload. @defaultValue `window.localStorage` */
  storage?: Storage;
  /** Tests pass fakes; the app uses the real fetch and Socket.IO otherwise. */
  fetch?: FetchFn;
  createSocket?: RealtimeOptions['createSocket'];
  createDashboardSocket?: () => DashboardSocket;
}

const DASHBOARD_PATH = '/dashboard';

/**
 * The server answers index.html for every path outside the API, so the address bar is the
 * whole router: `/dashboard` is the live dashboard, open to anyone; anything else is the app.
 * Links between the two are plain links, a full page load each.
 */
export function App({ createDashboardSocket, ...props }: AppProps) {
  const onDashboard = window.location.pathname.replace(/\/+$/, '') === DASHBOARD_PATH;
  return onDashboard ? <DashboardPage createSocket={createDashboardSocket} /> : <SessionScreens {...props} />;
}

/** The sign-in screen, or the home page of whoever is signed in, under the app header. */
function SessionScreens({ storage = window.localStorage, fetch, createSocket }: Omit<AppProps, 'createDashboardSocket'>) {
  const [store] = useState(() => createSessionStore(storage));
  const [session, setSession] = useState<Session | null>(() => store.load());
  const [anonymousApi] = useState(() => createRippleApi(createHttp({ fetch })));

  const signIn = useCallback(
    (next: Session) => {
      store.save(next);
      setSession(next);
    },
    [store],
  );

  const signOut = useCallback(() => {
    store.clear();
    setSession(null);
  }, [store]);

  const updateUser = useCallback(
    (user: User) => {
      const current = store.load();
      if (current === null) return;
      const next = { ...current, user };
      store.save(next);
      setSession(next);
    },
    [store],
  );

  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-header__brand">Ripple</h1>
        <div className="app-header__session">
          <a className="nav-link" href={DASHBOARD_PATH}>
            Live dashboard
          </a>
          {session !== null && (
            <>
              <span className="app-header__handle">@{session.user.handle}</span>
              <button type="button" className="button button--small button--quiet" onClick={signOut}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main className="app-main">
        {session === null ? (
          <AuthForm api={anonymousApi} onSignedIn={signIn} />
        ) : (
          <HomePage
            key={session.token}
            session={session}
            onSignOut={signOut}
            onUserChange={updateUser}
            fetch={fetch}
            createSocket={createSocket}
            storage={storage}
          />
        )}
      </main>
    </div>
  );
}
