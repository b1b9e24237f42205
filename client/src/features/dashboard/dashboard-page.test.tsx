import { describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import { fakeSocket, makeSnapshot } from '../../test/fakes';
import { chartColumns, DashboardPage } from './dashboard-page';
import type { DashboardSocket } from './use-dashboard-feed';

function renderDashboard() {
  const socket = fakeSocket();
  const createSocket = vi.fn(() => socket as unknown as DashboardSocket);
  const { unmount } = render(<DashboardPage createSocket={createSocket} />);
  /** Plays what the server would send, as React would see it arrive. */
  const serverEmit = (event: string, payload?: unknown) => act(() => socket.serverEmit(event, payload));
  return { socket, createSocket, serverEmit, unmount };
}

const tileValue = (metric: string): string => {
  const tile = document.querySelector(`[data-metric="${metric}"]`);
  if (!(tile instanceof HTMLElement)) throw new Error(`no tile for ${metric}`);
  return tile.querySelector('.tile__value')?.textContent ?? '';
};

const connection = () => document.querySelector('[data-connection]')?.getAttribute('data-connection');

describe('DashboardPage', () => {
  it('shows the newest snapshot in the tiles once history and stats arrive', () => {
    const { serverEmit } = renderDashboard();
    expect(screen.getByRole('heading', { level: 1, name: 'Live dashboard' })).toBeTruthy();
    expect(tileValue('backlog')).toBe('–');

    serverEmit('connect');
    serverEmit('dashboard:history', [makeSnapshot(1), makeSnapshot(2)]);
    expect(tileValue('backlog')).toBe('2');

    serverEmit(
      'dashboard:stats',
      makeSnapshot(3, {
        backlog: 12_345,
        deliveriesPerSecond: 48_210,
        acceptedPerSecond: 1_500,
        refusedPerSecond: 0.4,
        fanoutP50Ms: null,
        fanoutP99Ms: 1_840.6,
        workersAlive: 4,
        deadLetters: 2,
      }),
    );
    expect(tileValue('backlog')).toBe('12,345');
    expect(tileValue('deliveriesPerSecond')).toBe('48,210');
    expect(tileValue('acceptedPerSecond')).toBe('1,500');
    expect(tileValue('refusedPerSecond')).toBe('0.4');
    expect(tileValue('fanoutP50Ms')).toBe('–');
    expect(tileValue('fanoutP99Ms')).toBe('1,841');
    expect(tileValue('workersAlive')).toBe('4');
    expect(tileValue('deadLetters')).toBe('2');
    expect(document.querySelector('[data-metric="deadLetters"]')?.getAttribute('data-tone')).toBe('danger');
  });

  it("shows what each process costs: cores, and ms of CPU per accepted tweet; and each worker's activity", () => {
    const { serverEmit } = renderDashboard();
    serverEmit('connect');
    serverEmit(
      'dashboard:stats',
      makeSnapshot(1, {
        acceptedPerSecond: 500,
        cpu: [
          { role: 'redis', process: '1', cores: 0.4 },
          { role: 'server', process: '1', cores: 0.5 },
          { role: 'worker', process: '1', cores: 0.1, entriesPerSecond: 12.5, deliveriesPerSecond: 25_000 },
        ],
      }),
    );
    const table = within(screen.getByRole('region', { name: 'CPU by process' }));
    const cells = (name: RegExp) =>
      within(table.getByRole('row', { name }))
        .getAllByRole('cell')
        .map((cell) => cell.textContent);
    expect(cells(/server 1/)).toEqual(['server 1', '0.50', '1.00', '–', '–']);
    expect(cells(/worker 1/)).toEqual(['worker 1', '0.10', '0.20', '12.5', '25,000']);
    expect(
      within(table.getByRole('row', { name: /^all/ }))
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['1.00', '2.00', '', '']);
  });

  it('shows how many scheduled tweets wait, and how the last minute of tweets travelled', () => {
    const { serverEmit } = renderDashboard();
    serverEmit('connect');
    serverEmit('dashboard:history', [
      makeSnapshot(1, { deliveryMix: { fanOut: 3, inline: 0, onRead: 1 } }),
      makeSnapshot(2, { deliveryMix: { fanOut: 3, inline: 0, onRead: 0 } }),
      // A reading missed: this rate held over two seconds.
      makeSnapshot(4, { deliveryMix: { fanOut: 1, inline: 0, onRead: 0 }, scheduledWaiting: 7 }),
    ]);
    expect(tileValue('scheduledWaiting')).toBe('7');
    const mix = within(screen.getByRole('region', { name: 'Delivery mix' }));
    const legend = (mode: string) => document.querySelector(`[data-mode="${mode}"]`)?.textContent;
    expect(legend('fanOut')).toBe('fan-out: 8 (89%)');
    expect(legend('onRead')).toBe('on read: 1 (11%)');
    expect(legend('inline')).toBe('inline: 0 (0%)');
    expect(mix.getByRole('img').getAttribute('aria-label')).toBe('fan-out 89%, inline 0%, on read 11%');
  });

  it('keeps the tiles as they are when a payload breaks the schema', () => {
    const { serverEmit } = renderDashboard();
    serverEmit('dashboard:stats', makeSnapshot(1, { backlog: 12_345 }));
    serverEmit('dashboard:stats', { ...makeSnapshot(2), backlog: 'a lot' });
    serverEmit('dashboard:history', 'not a list');
    expect(tileValue('backlog')).toBe('12,345');
  });

  it('says whether the feed is live, and keeps the last numbers up while it reconnects', () => {
    const { socket, serverEmit } = renderDashboard();
    expect(socket.connected).toBe(true);
    expect(connection()).toBe('reconnecting');
    expect(screen.getByRole('status').textContent).toBe('connecting…');

    serverEmit('connect');
    serverEmit('dashboard:stats', makeSnapshot(1, { backlog: 12_345 }));
    expect(connection()).toBe('live');
    expect(screen.getByRole('status').textContent).toBe('live');

    serverEmit('disconnect', 'transport close');
    expect(connection()).toBe('reconnecting');
    expect(screen.getByRole('status').textContent).toBe('reconnecting…');
    expect(tileValue('backlog')).toBe('12,345');

    serverEmit('connect');
    expect(connection()).toBe('live');
  });

  it('connects again by itself when the server closes the connection', () => {
    const { socket, serverEmit } = renderDashboard();
    serverEmit('connect');
    const connect = vi.spyOn(socket, 'connect');
    serverEmit('disconnect', 'transport close'); // Socket.IO retries this one on its own
    expect(connect).not.toHaveBeenCalled();
    serverEmit('disconnect', 'io server disconnect');
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('has a tile for every metric and a box for every chart, even where charts cannot draw', () => {
    renderDashboard();
    const metrics = [...document.querySelectorAll('[data-metric]')].map((el) => el.getAttribute('data-metric'));
    expect(metrics).toEqual([
      'backlog',
      'deliveriesPerSecond',
      'acceptedPerSecond',
      'refusedPerSecond',
      'fanoutP50Ms',
      'fanoutP99Ms',
      'workersAlive',
      'deadLetters',
      'scheduledWaiting',
    ]);
    const charts = [...document.querySelectorAll('[data-chart]')].map((el) => el.getAttribute('data-chart'));
    expect(charts).toEqual(['deliveries', 'backlog', 'admission', 'latency']);
  });

  it('links back to the app and closes the socket when it goes away', () => {
    const { socket, createSocket, unmount } = renderDashboard();
    expect(within(screen.getByRole('banner')).getByRole('link', { name: '← Ripple' }).getAttribute('href')).toBe('/');
    unmount();
    expect(socket.connected).toBe(false);
    expect(createSocket).toHaveBeenCalledTimes(1);
  });
});

describe('chartColumns', () => {
  it('gives uPlot times in seconds and one column per series, keeping nulls as gaps', () => {
    const snapshots = [makeSnapshot(1, { fanoutP50Ms: null }), makeSnapshot(2, { fanoutP50Ms: 9 })];
    const series = [
      { label: 'p50', color: '--accent', value: (s: (typeof snapshots)[number]) => s.fanoutP50Ms },
      { label: 'backlog', color: '--warning', value: (s: (typeof snapshots)[number]) => s.backlog },
    ] as const;
    expect(chartColumns(snapshots, series)).toEqual([
      [snapshots[0]!.t / 1000, snapshots[1]!.t / 1000],
      [null, 9],
      [1, 2],
    ]);
  });
});
