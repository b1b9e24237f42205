import { io, type Socket } from 'socket.io-client';
import { serverEventSchemas, type ClientToServerEvents, type ServerEventName, type ServerToClientEvents } from '@ripple/shared';

export type RippleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the UI listens to: the server's events plus `connect`, which fires on every (re)connection. */
export type RealtimeEvents = ServerToClientEvents & { connect: () => void };
export type RealtimeEventName = keyof RealtimeEvents;

/**
 * The narrow face of the socket that features depend on, so a test can stand in an
 * EventEmitter-like fake. `on` answers the function that removes the listener.
 */
export interface Realtime {
  on<E extends RealtimeEventName>(event: E, listener: RealtimeEvents[E]): () => void;
}

export interface RealtimeConnection extends Realtime {
  /** Starts connecting; safe to call again after `close`. */
  open(): void;
  close(): void;
}

export interface RealtimeOptions {
  token: string;
  /** Called when the server refuses the token (`connect_error` "unauthorized"): sign out. */
  onUnauthorized: () => void;
  /**
   * Builds the socket; tests pass a fake.
   * @defaultValue `io()` on the page's own origin, path `/socket.io`
   */
  createSocket?: (auth: { token: string }) => RippleSocket;
}

type AnyListener = (payload?: unknown) => void;

const SERVER_EVENTS = Object.keys(serverEventSchemas) as ServerEventName[];
/** After a connection refused as `unavailable`, the wait before trying again (the server's Retry-After). */
const UNAVAILABLE_RETRY_MS = 1000;

/**
 * Creates the typed Socket.IO connection for one signed-in user, not yet connected.
 * Every server payload is validated with the shared schemas before a listener sees it;
 * a payload that does not match is dropped.
 */
export function createRealtime(options: RealtimeOptions): RealtimeConnection {
  const socket: RippleSocket = options.createSocket
    ? options.createSocket({ token: options.token })
    : io({ auth: { token: options.token }, autoConnect: false });
  const listeners = new Map<RealtimeEventName, Set<AnyListener>>();

  const notify = (event: RealtimeEventName, payload?: unknown): void => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };

  for (const event of SERVER_EVENTS) {
    const relay = (payload: unknown): void => {
      const parsed = serverEventSchemas[event].safeParse(payload);
      if (parsed.success) notify(event, parsed.data);
    };
    // The generic Socket.on signature cannot be narrowed per loop iteration; the payload is
    // validated above, which is the type guarantee that matters.
    (socket.on as (event: string, listener: (payload: unknown) => void) => void)(event, relay);
  }
  socket.on('connect', () => notify('connect'));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') options.onUnauthorized();
    // The server refused for now (its storage just came back); socket.io does not retry a
    // refusal by itself.
    if (error.message === 'unavailable') setTimeout(() => !socket.connected && socket.connect(), UNAVAILABLE_RETRY_MS);
  });

  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as AnyListener;
      set.add(entry);
      return () => set.delete(entry);
    },
    open: () => void socket.connect(),
    close: () => void socket.disconnect(),
  };
}
