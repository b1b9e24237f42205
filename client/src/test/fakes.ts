import type { DashboardSnapshot, Job, Tweet } from '@ripple/shared';
import type { FetchFn } from '../api/http';
import type { Realtime, RealtimeEventName, RealtimeEvents } from '../api/socket';

/** A promise the test settles by hand, to look at the page while a request is in flight. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

export interface FakeCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  response: Deferred<Response>;
}

/**
 * A fetch whose every call waits until the test answers it. `answer` settles the oldest
 * open call to a path; `calls` keeps them all for assertions on headers and bodies.
 */
export function fakeFetch() {
  const calls: FakeCall[] = [];
  const fetch: FetchFn = (input, init) => {
    const call: FakeCall = {
      method: init.method ?? 'GET',
      path: input,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      response: deferred<Response>(),
    };
    calls.push(call);
    return call.response.promise;
  };
  const open = new Set<FakeCall>();
  const pending = (method: string, pathPrefix: string): FakeCall => {
    const call = calls.find((c) => c.method === method && c.path.startsWith(pathPrefix) && !open.has(c));
    if (!call) throw new Error(`no open ${method} ${pathPrefix} call; calls: ${calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
    open.add(call);
    return call;
  };
  return {
    fetch,
    calls,
    /** Settles the oldest unanswered call matching method and path prefix. */
    answer(method: string, pathPrefix: string, status: number, body: unknown, headers?: Record<string, string>) {
      const call = pending(method, pathPrefix);
      call.response.resolve(jsonResponse(status, body, headers));
      return call;
    },
    fail(method: string, pathPrefix: string, reason: unknown = new TypeError('Failed to fetch')) {
      const call = pending(method, pathPrefix);
      call.response.reject(reason);
      return call;
    },
    callsTo(method: string, pathPrefix: string) {
      return calls.filter((c) => c.method === method && c.path.startsWith(pathPrefix));
    },
  };
}

/** An EventEmitter-like stand-in for the socket: the test emits what the server would. */
export function fakeRealtime() {
  const listeners = new Map<RealtimeEventName, Set<(payload?: unknown) => void>>();
  const realtime: Realtime = {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload?: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
  };
  return {
    realtime,
    emit<E extends RealtimeEventName>(event: E, ...payload: Parameters<RealtimeEvents[E]>) {
      for (const listener of listeners.get(event) ?? []) listener(payload[0]);
    },
    listenerCount: (event: RealtimeEventName) => listeners.get(event)?.size ?? 0,
  };
}

export const makeTweet = (id: string, handle = 'alice', text = `tweet ${id}`): Tweet => ({
  id,
  text,
  createdAt: '2025-01-01T12:00:00.000Z',
  author: { id: `u-${handle}`, handle },
});

export const makeJob = (overrides: Partial<Job> = {}): Job => ({
  id: 'job-1',
  tweetId: '000000000010',
  kind: 'post',
  delivery: 'fan-out',
  status: 'queued',
  delivered: 0,
  total: 10,
  skipped: 0,
  attempts: 0,
  enqueuedAt: '2025-01-01T12:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  error: null,
  ...overrides,
});

/** When second 0 of `makeSnapshot` falls. */
export const SNAPSHOT_T0 = Date.UTC(2025, 0, 1, 12);

/** The dashboard snapshot of `second` seconds after `SNAPSHOT_T0`; its backlog is `second`. */
export const makeSnapshot = (second: number, overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot => ({
  t: SNAPSHOT_T0 + second * 1000,
  backlog: second,
  deliveriesPerSecond: 100,
  acceptedPerSecond: 10,
  refusedPerSecond: 0,
  fanoutP50Ms: 12,
  fanoutP99Ms: 80,
  cpu: [],
  workersAlive: 3,
  deadLetters: 0,
  scheduledWaiting: 0,
  deliveryMix: { fanOut: 0, inline: 0, onRead: 0 },
  ...overrides,
});

/**
 * Stands in for a socket.io-client Socket where `createRealtime` and the dashboard feed are concerned: `on`,
 * `connect`, `disconnect`, and `serverEmit` to play what the server or the transport would do.
 */
export function fakeSocket() {
  const handlers = new Map<string, Set<(payload?: unknown) => void>>();
  const fake = {
    connected: false,
    on(event: string, handler: (payload?: unknown) => void) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler);
      return fake;
    },
    connect() {
      fake.connected = true;
      return fake;
    },
    disconnect() {
      fake.connected = false;
      return fake;
    },
    serverEmit(event: string, payload?: unknown) {
      for (const handler of handlers.get(event) ?? []) handler(payload);
    },
  };
  return fake;
}
