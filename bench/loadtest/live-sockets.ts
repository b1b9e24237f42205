import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@ripple/shared';

export type RippleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Opens one user's Socket.IO connection the way the browser client does (`auth: {token}`,
 * WebSocket only), resolving once connected. Each user gets a connection of its own
 * (`forceNew`), as separate browsers would; after the first connect it reconnects by itself,
 * like the real client.
 */
export function connectSocket(url: string, token: string, timeoutMs = 10_000): Promise<RippleSocket> {
  const socket: RippleSocket = io(url, { auth: { token }, transports: ['websocket'], forceNew: true, timeout: timeoutMs });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`socket did not connect in ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.disconnect();
      reject(new Error(`Socket.IO connection to ${url} failed: ${error.message}`));
    }
    function onConnect(): void {
      clearTimeout(timer);
      socket.off('connect_error', fail);
      resolve(socket);
    }
    socket.once('connect', onConnect);
    socket.once('connect_error', fail);
  });
}
