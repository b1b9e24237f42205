import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, PostTweetResponse, ServerToClientEvents } from '@ripple/shared';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A tiny fetch client for a Ripple running in another process. */
export async function api<T>(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'Content-Type': 'application/json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function addFollowers(base: string, token: string, count: number): Promise<void> {
  for (let left = count; left > 0; left -= 1_000_000) {
    await api(base, '/api/me/followers/synthetic', { token, body: { count: Math.min(left, 1_000_000) } });
  }
}

export const postTweet = (base: string, token: string, text: string) => api<PostTweetResponse>(base, '/api/tweets', { token, body: { text } });

export function openSocket(base: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = connect(base, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Records every event a socket receives, in order. */
export function recordEvents(socket: ClientSocket): { event: string; payload: unknown }[] {
  const seen: { event: string; payload: unknown }[] = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}
