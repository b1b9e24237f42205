import { useEffect, useReducer } from 'react';
import { io, type Socket } from 'socket.io-client';
import { DASHBOARD_NAMESPACE, type DashboardToClientEvents } from '@ripple/shared';
import { dashboardReducer, initialDashboardState, type DashboardState } from './dashboard-reducer';

/** The dashboard only listens; nothing is sent upstream. */
export type DashboardSocket = Socket<DashboardToClientEvents, Record<string, never>>;

/**
 * The real socket, not yet connected: the page's own origin, namespace `/dashboard`, no
 * auth token (the namespace shows only system-wide numbers). WebSocket only, so a dashboard
 * left open through a load test does not add long-polling requests to the load.
 */
export const connectToDashboard = (): DashboardSocket => io(DASHBOARD_NAMESPACE, { transports: ['websocket'], autoConnect: false });

/**
 * Subscribes to the live dashboard feed for as long as the calling component is mounted and
 * returns what it has brought so far. Payloads are validated by the reducer; invalid ones
 * are dropped.
 *
 * `createSocket` must be stable (a module-level function): a new one reconnects.
 */
export function useDashboardFeed(createSocket: () => DashboardSocket = connectToDashboard): DashboardState {
  const [state, dispatch] = useReducer(dashboardReducer, initialDashboardState);

  useEffect(() => {
    const socket = createSocket();
    // A closed socket can still report its own disconnect; nothing after cleanup counts.
    let closed = false;
    const dispatchOpen: typeof dispatch = (action) => {
      if (!closed) dispatch(action);
    };

    socket.on('connect', () => dispatchOpen({ type: 'connected' }));
    socket.on('disconnect', (reason) => {
      dispatchOpen({ type: 'disconnected' });
      // Socket.IO retries every drop on its own except one the server asked for (a node
      // shutting down); the dashboard wants back in regardless, on whichever node answers.
      if (reason === 'io server disconnect' && !closed) socket.connect();
    });
    socket.on('dashboard:history', (payload: unknown) => dispatchOpen({ type: 'history-received', payload }));
    socket.on('dashboard:stats', (payload: unknown) => dispatchOpen({ type: 'stats-received', payload }));
    socket.connect();

    return () => {
      closed = true;
      socket.disconnect();
    };
  }, [createSocket]);

  return state;
}
