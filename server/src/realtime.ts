import type { Server } from 'socket.io';
import { userRoom, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from '@ripple/shared';
import type { Presence } from './presence.js';
import { TokenKeysUnconfirmed, type Tokens, type VerifiedToken } from './tokens.js';

export type RippleIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeDeps {
  tokens: Tokens;
  presence: Presence;
  /** Sockets one user may hold on this node (ServerConfig.maxSocketsPerUser). */
  maxSocketsPerUser: number;
}

/**
 * Authenticates sockets and puts each in its user's room. Events reach the room from the
 * event relay; a socket never receives another user's events. A socket lives no longer than
 * its token, and one user holds at most `maxSocketsPerUser` of them on this node.
 */
export function attachRealtime(io: RippleIo, { tokens, presence, maxSocketsPerUser }: RealtimeDeps): void {
  const socketsOf = new Map<string, number>();

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    let verified: VerifiedToken | null;
    try {
      verified = typeof token === 'string' ? tokens.verify(token) : null;
    } catch (err) {
      // The keys are being re-read after a reconnect: the client retries, nothing is wrong with its token.
      if (err instanceof TokenKeysUnconfirmed) return next(new Error('unavailable'));
      throw err;
    }
    if (!verified) return next(new Error('unauthorized'));
    // The newcomer is refused rather than the oldest dropped: a dropped client reconnects and
    // would drop the next oldest, and so on around the user's tabs.
    if ((socketsOf.get(verified.userId) ?? 0) >= maxSocketsPerUser) return next(new Error('too_many_connections'));
    socket.data.userId = verified.userId;
    socket.data.tokenExpiresAt = verified.expiresAt;
    next();
  });

  io.on('connection', (socket) => {
    const { userId, tokenExpiresAt } = socket.data;
    socketsOf.set(userId, (socketsOf.get(userId) ?? 0) + 1);
    // An expired token opens nothing over HTTP; it must not keep a socket listening either.
    const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, tokenExpiresAt - Date.now()));
    void socket.join(userRoom(userId));
    presence.connected(userId);
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      const left = (socketsOf.get(userId) ?? 1) - 1;
      if (left > 0) socketsOf.set(userId, left);
      else socketsOf.delete(userId);
      presence.disconnected(userId);
    });
  });
}
