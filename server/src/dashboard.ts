import type { Namespace, Server } from 'socket.io';
import { DASHBOARD_NAMESPACE, type DashboardToClientEvents } from '@ripple/shared';
import type { StatsSampler } from './stats-sampler.js';

/**
 * The live dashboard's feed: a namespace open to anyone (it carries only system-wide numbers,
 * and processes by number, never by host name or address)
 * that gets the last minute on connect and a snapshot every second after.
 */
export function attachDashboard(io: Server, stats: StatsSampler): void {
  // The namespace has its own events, not the user events the main server is typed with.
  const dashboard = io.of(DASHBOARD_NAMESPACE) as unknown as Namespace<Record<string, never>, DashboardToClientEvents>;
  dashboard.on('connection', (socket) => socket.emit('dashboard:history', stats.history()));
  stats.onSnapshot((snapshot) => dashboard.emit('dashboard:stats', snapshot));
}
