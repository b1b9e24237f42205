import { io as connect, type Socket } from 'socket.io-client';
import { DASHBOARD_NAMESPACE, type DashboardSnapshot, type DashboardToClientEvents } from '@ripple/shared';

export interface DashboardWatch {
  /** Every snapshot received so far, history first, in the order they came. */
  snapshots: DashboardSnapshot[];
  /** Resolves once a snapshot taken at `t` (the node's Date.now()) has arrived. */
  reached(t: number): Promise<void>;
  /** Resolves with the first snapshot received after this call (never one from the history). */
  next(): Promise<DashboardSnapshot>;
  /** Resolves with the reason once the connection is lost. */
  disconnected(): Promise<string>;
  close(): void;
}

/**
 * Connects to a node's dashboard namespace (no sign-in) and records what it sends. A node sends
 * one snapshot per reading of the shared counters, so this is also how a test learns that a node
 * has taken a reading. Listeners are in place before the connection, so nothing is missed.
 */
export function watchDashboard(baseUrl: string): DashboardWatch {
  const socket: Socket<DashboardToClientEvents> = connect(`${baseUrl}${DASHBOARD_NAMESPACE}`, { transports: ['websocket'], reconnection: false });
  const snapshots: DashboardSnapshot[] = [];
  let listeners: ((snapshot: DashboardSnapshot, live: boolean) => void)[] = [];
  const receive = (snapshot: DashboardSnapshot, live: boolean) => {
    snapshots.push(snapshot);
    for (const listener of listeners) listener(snapshot, live);
  };
  socket.on('dashboard:history', (history) => history.forEach((s) => receive(s, false)));
  socket.on('dashboard:stats', (s) => receive(s, true));
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

  const waitFor = (wanted: (s: DashboardSnapshot, live: boolean) => boolean) =>
    new Promise<DashboardSnapshot>((resolve) => {
      const listener = (s: DashboardSnapshot, live: boolean) => {
        if (!wanted(s, live)) return;
        listeners = listeners.filter((l) => l !== listener);
        resolve(s);
      };
      listeners.push(listener);
    });

  return {
    snapshots,
    reached: async (t) => {
      if (!snapshots.some((s) => s.t === t)) await waitFor((s) => s.t === t);
    },
    next: () => waitFor((_s, live) => live),
    disconnected: () => disconnected,
    close: () => void socket.close(),
  };
}
