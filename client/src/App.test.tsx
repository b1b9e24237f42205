import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { RippleSocket } from './api/socket';
import { App } from './App';
import { createSessionStore, SESSION_STORAGE_KEY } from './features/auth/session-store';
import type { DashboardSocket } from './features/dashboard/use-dashboard-feed';
import { outboxStorageKey } from './features/timeline/outbox-store';
import { fakeFetch, fakeSocket, makeJob, makeSnapshot, makeTweet } from './test/fakes';

const alice = { id: 'u1', handle: 'alice', followers: 2, following: 1 };

function renderApp() {
  const server = fakeFetch();
  const socket = fakeSocket();
  const dashboardSocket = fakeSocket();
  const { unmount } = render(
    <App
      storage={localStorage}
      fetch={server.fetch}
      createSocket={() => socket as unknown as RippleSocket}
      createDashboardSocket={() => dashboardSocket as unknown as DashboardSocket}
    />,
  );
  return { server, socket, dashboardSocket, unmount, user: userEvent.setup() };
}

/** Advances fake time (0 just lets pending promises and renders settle). */
const elapse = (ms = 0) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

afterEach(() => {
  vi.useRealTimers();
  window.history.replaceState(null, '', '/');
});

describe('App', () => {
  it('shows the live dashboard at /dashboard to anyone, without signing in', () => {
    window.history.replaceState(null, '', '/dashboard');
    const { server, socket, dashboardSocket } = renderApp();
    expect(screen.getByRole('heading', { level: 1, name: 'Live dashboard' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    expect(server.calls).toHaveLength(0);
    expect(socket.connected).toBe(false);
    expect(dashboardSocket.connected).toBe(true);

    act(() => dashboardSocket.serverEmit('dashboard:stats', makeSnapshot(1, { backlog: 12_345 })));
    expect(document.querySelector('[data-metric="backlog"]')?.textContent).toContain('12,345');
  });

  it('shows the dashboard, not the home page, even to a signed-in user', () => {
    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    window.history.replaceState(null, '', '/dashboard/');
    const { socket } = renderApp();
    expect(screen.getByRole('heading', { level: 1, name: 'Live dashboard' })).toBeTruthy();
    expect(screen.queryByText('@alice')).toBeNull();
    expect(socket.connected).toBe(false);
  });

  it('links to the live dashboard from the sign-in screen and from the signed-in header', () => {
    const signedOut = renderApp();
    expect(screen.getByRole('link', { name: 'Live dashboard' }).getAttribute('href')).toBe('/dashboard');
    expect(document.querySelector('[data-connection]')).toBeNull();
    signedOut.unmount();

    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    renderApp();
    const header = screen.getByRole('banner');
    expect(within(header).getByText('@alice')).toBeTruthy();
    expect(within(header).getByRole('link', { name: 'Live dashboard' }).getAttribute('href')).toBe('/dashboard');
  });

  it('signs in, remembers the session across a reload, and signs out', async () => {
    const first = renderApp();
    await first.user.type(screen.getByLabelText('Handle'), 'alice');
    await first.user.type(screen.getByLabelText('Password'), 'password123');
    await first.user.click(screen.getByRole('button', { name: 'Sign in' }));
    first.server.answer('POST', '/api/sessions', 200, { user: alice, token: 'tok' });
    await screen.findByText('@alice');
    expect(first.socket.connected).toBe(true);
    expect(createSessionStore(localStorage).load()?.token).toBe('tok');

    // A reload: the page goes away, and a fresh app over the same storage starts signed in.
    first.unmount();
    expect(first.socket.connected).toBe(false);
    const second = renderApp();
    expect(screen.getByText('@alice')).toBeTruthy();
    expect(second.server.callsTo('GET', '/api/me')[0]?.headers.Authorization).toBe('Bearer tok');

    await second.user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(screen.getByRole('button', { name: 'Sign up' })).toBeTruthy();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(second.socket.connected).toBe(false);
  });

  it('signs out when the socket is refused as unauthorized', async () => {
    createSessionStore(localStorage).save({ user: alice, token: 'expired' });
    const { socket } = renderApp();
    expect(screen.getByText('@alice')).toBeTruthy();
    socket.serverEmit('connect_error', new Error('unauthorized'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy());
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('refreshes the counts from GET /api/me', async () => {
    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    const { server } = renderApp();
    // Asked for first, and its path starts with /api/me too.
    server.answer('GET', '/api/me/scheduled', 200, { tweets: [] });
    server.answer('GET', '/api/me', 200, { user: { ...alice, followers: 1_000_002 } });
    await screen.findByText('1,000,002');
  });

  it("resends the signed-in user's unsent posts after a reload, riding out a busy server", async () => {
    // The clock is driven by hand, so the test waits no real second and a loaded machine cannot
    // make it miss the retry. waitFor polls on timers, which are fake here, so each step
    // advances the clock and then looks at the page directly.
    vi.useFakeTimers();
    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    const pending = { localId: 'local-1', text: 'still here', idempotencyKey: 'key-1', createdAt: '2025-01-01T12:00:00.000Z' };
    localStorage.setItem(outboxStorageKey(alice.id), JSON.stringify([pending]));
    const { server } = renderApp();
    await elapse();

    expect(screen.getByText('still here')).toBeTruthy();
    server.answer('POST', '/api/tweets', 503, { error: { code: 'overloaded', message: 'busy' } }, { 'Retry-After': '1' });
    await elapse();
    expect(screen.getByText('server busy, retrying in 1 s')).toBeTruthy();
    // The wait is the server's Retry-After, to the millisecond.
    await elapse(999);
    expect(server.callsTo('POST', '/api/tweets')).toHaveLength(1);
    await elapse(1);
    expect(server.callsTo('POST', '/api/tweets').map((c) => c.headers['Idempotency-Key'])).toEqual(['key-1', 'key-1']);

    server.answer('POST', '/api/tweets', 202, { tweet: makeTweet('000000000011', 'alice', 'still here'), job: makeJob() });
    await elapse();
    expect(document.querySelector('[data-tweet-id="000000000011"]')?.getAttribute('data-status')).toBe('queued');
    expect(localStorage.getItem(outboxStorageKey(alice.id))).toBeNull();
  });

  it("opens the journey of the user's own tweet from its card, with the accept latency this page measured", async () => {
    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    const { server, user } = renderApp();
    server.answer('GET', '/api/timeline', 200, { tweets: [], nextBefore: null });
    await user.type(screen.getByRole('textbox', { name: "What's happening?" }), 'watch me');
    await user.click(screen.getByRole('button', { name: 'Post' }));
    server.answer('POST', '/api/tweets', 202, { tweet: makeTweet('000000000012', 'alice', 'watch me'), job: makeJob({ id: 'job-7' }) });
    const card = await waitFor(() => {
      const found = document.querySelector<HTMLElement>('[data-tweet-id="000000000012"]');
      expect(found).not.toBeNull();
      return found!;
    });

    await user.click(within(card).getByText('watch me'));
    expect(server.callsTo('GET', '/api/jobs/job-7/journey')).toHaveLength(1);
    const job = makeJob({ id: 'job-7' });
    const step = { worker: null, from: null, outcome: null, attempt: null, chunks: [], error: null, dueAt: null };
    server.answer('GET', '/api/jobs/job-7/journey', 200, {
      job,
      steps: [
        { ...step, kind: 'accepted', at: job.enqueuedAt },
        { ...step, kind: 'queued', at: job.enqueuedAt },
      ],
      truncated: false,
    });
    const panel = within(await screen.findByRole('complementary', { name: 'Tweet journey' }));
    expect(await panel.findByText(/^Accepted in \d+ ms$/)).toBeTruthy();
    await user.click(panel.getByRole('button', { name: 'Close journey' }));
    expect(screen.queryByRole('complementary', { name: 'Tweet journey' })).toBeNull();
  });

  it("opens the journey of an own tweet loaded from the server by the tweet, and of a delete's job", async () => {
    createSessionStore(localStorage).save({ user: alice, token: 'tok' });
    const { server, user } = renderApp();
    const before = { ...makeTweet('000000000013', 'alice', 'from before the reload'), author: { id: alice.id, handle: 'alice' } };
    server.answer('GET', '/api/timeline', 200, { tweets: [before], nextBefore: null });
    await user.click(await screen.findByText('from before the reload'));
    expect(server.callsTo('GET', '/api/tweets/000000000013/journey')).toHaveLength(1);
    const panel = await screen.findByRole('complementary', { name: 'Tweet journey' });
    await user.click(within(panel).getByRole('button', { name: 'Close journey' }));

    await user.click(screen.getByRole('button', { name: 'Delete tweet' }));
    server.answer('DELETE', '/api/tweets/000000000013', 202, { job: makeJob({ id: 'job-del', kind: 'delete' }) });
    await user.click(await screen.findByRole('button', { name: "Show the delete's journey" }));
    expect(server.callsTo('GET', '/api/jobs/job-del/journey')).toHaveLength(1);
  });

  it('does not retry a sign-in the server turns away', async () => {
    const { server, user } = renderApp();
    await user.type(screen.getByLabelText('Handle'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'password123');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    server.answer('POST', '/api/sessions', 503, { error: { code: 'unavailable', message: 'Try again shortly.' } }, { 'Retry-After': '0' });
    await screen.findByText(/Try again shortly/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.callsTo('POST', '/api/sessions')).toHaveLength(1);
  });
});
