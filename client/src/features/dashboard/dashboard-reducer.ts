import { z } from 'zod';
import { dashboardSnapshotSchema, type DashboardSnapshot } from '@ripple/shared';

/**
 * How many snapshots the page keeps: one a second, so the charts cover the last minute,
 * the same window the server sends as history on connect.
 */
export const SNAPSHOT_WINDOW = 60;

/**
 * 'connecting' until the first connection, 'live' while connected, 'reconnecting' after a
 * drop; Socket.IO keeps trying on its own, and the numbers shown stay the last ones known.
 */
export type DashboardConnection = 'connecting' | 'live' | 'reconnecting';

export interface DashboardState {
  /** Oldest first, one per `t`, at most `SNAPSHOT_WINDOW`. */
  snapshots: DashboardSnapshot[];
  connection: DashboardConnection;
}

/** Payloads arrive straight off the socket, unchecked: the reducer is where they are validated. */
export type DashboardAction =
  { type: 'connected' } | { type: 'disconnected' } | { type: 'history-received'; payload: unknown } | { type: 'stats-received'; payload: unknown };

export const initialDashboardState: DashboardState = { snapshots: [], connection: 'connecting' };

const listSchema = z.array(z.unknown());

/** The snapshots of a `dashboard:history` payload that match the schema; the rest are dropped. */
function validSnapshots(payload: unknown): DashboardSnapshot[] {
  const list = listSchema.safeParse(payload);
  if (!list.success) return [];
  return list.data.flatMap((item) => {
    const parsed = dashboardSnapshotSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * Adds snapshots to the window: ordered by time, one per `t` (a second sent twice, as history
 * on a reconnect repeats what stats already brought, keeps its newest copy), and only the
 * newest `SNAPSHOT_WINDOW` kept.
 */
export function keepRecentSnapshots(current: DashboardSnapshot[], incoming: DashboardSnapshot[]): DashboardSnapshot[] {
  if (incoming.length === 0) return current;
  const byTime = new Map<number, DashboardSnapshot>();
  for (const snapshot of current) byTime.set(snapshot.t, snapshot);
  for (const snapshot of incoming) byTime.set(snapshot.t, snapshot);
  return [...byTime.values()].sort((a, b) => a.t - b.t).slice(-SNAPSHOT_WINDOW);
}

/** What the dashboard knows: the last minute of snapshots and whether the feed is live. */
export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'connected':
      return state.connection === 'live' ? state : { ...state, connection: 'live' };

    case 'disconnected':
      return state.connection === 'live' ? { ...state, connection: 'reconnecting' } : state;

    case 'history-received': {
      const snapshots = keepRecentSnapshots(state.snapshots, validSnapshots(action.payload));
      return snapshots === state.snapshots ? state : { ...state, snapshots };
    }

    case 'stats-received': {
      const parsed = dashboardSnapshotSchema.safeParse(action.payload);
      if (!parsed.success) return state;
      return { ...state, snapshots: keepRecentSnapshots(state.snapshots, [parsed.data]) };
    }
  }
}

/** The newest snapshot, or null before the first one arrives. */
export const latestSnapshot = (state: DashboardState): DashboardSnapshot | null => state.snapshots.at(-1) ?? null;
