import type { Server } from 'socket.io';
import { userRoom, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from '@ripple/shared';
import type { Presence } from './presence.js';
import { TokenKeysUnconfirmed, type Tokens } from './tokens.js';

export type RippleIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeDeps {
  tokens: Tokens;
  presence: Presence;
}

/**
 * Authenticates sockets and puts each in its user's room. Events reach the room from the
 * event relay; a socket never receives another user's events.
 */
export function attachRealtime(io: RippleIo, { tokens, presence }: RealtimeDeps): void {
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    let userId: string | null;
    try {
      userId = typeof token === 'string' ? tokens.verify(token) : null;
    } catch (err) {
      // The keys are being re-read after a reconnect: the client retries, nothing is wrong with its token.
      if (err instanceof TokenKeysUnconfirmed) return next(new Error('unavailable'));
      throw err;
    }
    if (!userId) return next(new Error('unauthorized'));
    socket.data.userId = userId;
    next();
  });

  io.on('connection', (socket) => {
    const { userId } = socket.data;
    void socket.join(userRoom(userId));
    presence.connected(userId);
    socket.on('disconnect', () => presence.disconnected(userId));
  });
}
