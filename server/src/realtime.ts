import type { Server } from 'socket.io';
import { userRoom, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from '@ripple/shared';
import type { Logger, RedisClient } from '@ripple/shared/node';
import { presence } from './presence.js';
import type { Tokens } from './tokens.js';

export type RippleIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeDeps {
  redis: RedisClient;
  tokens: Tokens;
  log: Logger;
}

/**
 * Authenticates sockets and puts each in its user's room. Events reach the room from the
 * event relay; a socket never receives another user's events.
 */
export function attachRealtime(io: RippleIo, { redis, tokens, log }: RealtimeDeps): void {
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    const userId = typeof token === 'string' ? tokens.verify(token) : null;
    if (!userId) return next(new Error('unauthorized'));
    socket.data.userId = userId;
    next();
  });

  io.on('connection', (socket) => {
    const { userId } = socket.data;
    void socket.join(userRoom(userId));
    // Presence is best effort: a Redis hiccup here must not drop the socket.
    presence.markOnline(redis, userId).catch((err) => log.warn({ err: String(err), userId }, 'could not mark online'));
    socket.on('disconnect', () => {
      presence.markOffline(redis, userId).catch((err) => log.warn({ err: String(err), userId }, 'could not mark offline'));
    });
  });
}
