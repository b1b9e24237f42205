import { fanoutDoneSchema, timelineNewSchema } from '@ripple/shared';
import { mapWithLimit } from '../loadtest/crowd.js';
import { connectSocket, type RippleSocket } from '../loadtest/live-sockets.js';
import type { SoakMember } from './soak-crowd.js';

/** What one user's socket received, and whether it ever lost its connection. */
export interface SocketLog {
  member: SoakMember;
  /** Name of the server node the socket was opened on. */
  node: string;
  socket: RippleSocket;
  /** Tweet ids of every `timeline:new`, repeats included, in arrival order. */
  timelineNew: string[];
  /** Job ids of every `fanout:done`, repeats included. */
  fanoutDone: string[];
  /** Disconnections since the socket first connected (a killed node, a ping timeout). */
  disconnects: number;
  /** Reconnections since then (the client's own, after a disconnection). */
  reconnects: number;
}

/** Sockets opened at once. */
const CONNECT_CONCURRENCY = 16;

/**
 * Opens one socket per member on `urlOf(member)` the way the browser client does (it reconnects
 * by itself after a drop) and records every `timeline:new` and `fanout:done` it receives.
 */
export async function openSocketLogs<M extends SoakMember>(members: readonly M[], urlOf: (member: M) => { url: string; node: string }): Promise<SocketLog[]> {
  const logs: SocketLog[] = [];
  try {
    await mapWithLimit(members, CONNECT_CONCURRENCY, async (member) => {
      const { url, node } = urlOf(member);
      const socket = await connectSocket(url, member.token);
      const log: SocketLog = { member, node, socket, timelineNew: [], fanoutDone: [], disconnects: 0, reconnects: 0 };
      logs.push(log);
      socket.on('timeline:new', (payload) => {
        const parsed = timelineNewSchema.safeParse(payload);
        if (parsed.success) log.timelineNew.push(parsed.data.tweet.id);
      });
      socket.on('fanout:done', (payload) => {
        const parsed = fanoutDoneSchema.safeParse(payload);
        if (parsed.success) log.fanoutDone.push(parsed.data.jobId);
      });
      socket.on('disconnect', () => (log.disconnects += 1));
      socket.on('connect', () => (log.reconnects += 1));
    });
  } catch (error) {
    closeSocketLogs(logs);
    throw error;
  }
  return logs;
}

/** True when the socket never dropped: the only kind that must have received each event once. */
export const stayedConnected = (log: SocketLog): boolean => log.disconnects === 0;

export function closeSocketLogs(logs: readonly SocketLog[]): void {
  for (const log of logs) log.socket.disconnect();
}
