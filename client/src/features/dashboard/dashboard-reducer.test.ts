import { describe, expect, it } from 'vitest';
import { makeSnapshot, SNAPSHOT_T0 as T0 } from '../../test/fakes';
import { dashboardReducer, initialDashboardState, latestSnapshot, SNAPSHOT_WINDOW, type DashboardAction, type DashboardState } from './dashboard-reducer';

const run = (...actions: DashboardAction[]): DashboardState => actions.reduce(dashboardReducer, initialDashboardState);
const seconds = (state: DashboardState): number[] => state.snapshots.map((s) => (s.t - T0) / 1000);

describe('dashboardReducer', () => {
  it('starts from the history, oldest first, then appends each stats snapshot', () => {
    const state = run(
      { type: 'history-received', payload: [makeSnapshot(1), makeSnapshot(2), makeSnapshot(3)] },
      { type: 'stats-received', payload: makeSnapshot(4) },
      { type: 'stats-received', payload: makeSnapshot(5, { backlog: 12_345 }) },
    );
    expect(seconds(state)).toEqual([1, 2, 3, 4, 5]);
    expect(latestSnapshot(state)?.backlog).toBe(12_345);
  });

  it(`keeps only the newest ${SNAPSHOT_WINDOW} snapshots`, () => {
    const history = Array.from({ length: SNAPSHOT_WINDOW }, (_, i) => makeSnapshot(i));
    const state = run(
      { type: 'history-received', payload: history },
      { type: 'stats-received', payload: makeSnapshot(SNAPSHOT_WINDOW) },
      { type: 'stats-received', payload: makeSnapshot(SNAPSHOT_WINDOW + 1) },
    );
    expect(state.snapshots).toHaveLength(SNAPSHOT_WINDOW);
    expect(seconds(state)[0]).toBe(2);
    expect(seconds(state).at(-1)).toBe(SNAPSHOT_WINDOW + 1);
  });

  it('caps an oversized history too', () => {
    const history = Array.from({ length: SNAPSHOT_WINDOW + 10 }, (_, i) => makeSnapshot(i));
    const state = run({ type: 'history-received', payload: history });
    expect(state.snapshots).toHaveLength(SNAPSHOT_WINDOW);
    expect(seconds(state)[0]).toBe(10);
  });

  it('shows each second once when a reconnect sends history that stats already brought', () => {
    const state = run(
      { type: 'history-received', payload: [makeSnapshot(1), makeSnapshot(2)] },
      { type: 'stats-received', payload: makeSnapshot(3) },
      { type: 'stats-received', payload: makeSnapshot(3) },
      { type: 'history-received', payload: [makeSnapshot(2), makeSnapshot(3), makeSnapshot(4, { backlog: 7 })] },
    );
    expect(seconds(state)).toEqual([1, 2, 3, 4]);
    expect(latestSnapshot(state)?.backlog).toBe(7);
  });

  it('keeps the snapshots in time order whatever order they arrive in', () => {
    const state = run({ type: 'stats-received', payload: makeSnapshot(5) }, { type: 'history-received', payload: [makeSnapshot(3), makeSnapshot(4)] });
    expect(seconds(state)).toEqual([3, 4, 5]);
  });

  it('ignores stats that break the schema', () => {
    const before = run({ type: 'history-received', payload: [makeSnapshot(1)] });
    const invalid: unknown[] = [{ ...makeSnapshot(2), backlog: 'lots' }, { ...makeSnapshot(2), fanoutP50Ms: undefined }, { t: T0 + 2000 }, null, 'snapshot'];
    for (const payload of invalid) {
      expect(dashboardReducer(before, { type: 'stats-received', payload })).toBe(before);
    }
  });

  it('drops the invalid entries of a history and keeps the valid ones', () => {
    const state = run({
      type: 'history-received',
      payload: [makeSnapshot(1), { ...makeSnapshot(2), workersAlive: null }, makeSnapshot(3)],
    });
    expect(seconds(state)).toEqual([1, 3]);
    expect(dashboardReducer(state, { type: 'history-received', payload: { snapshots: [] } })).toBe(state);
  });

  it('accepts null percentiles, which mean no fan-out finished in the last minute', () => {
    const state = run({ type: 'stats-received', payload: makeSnapshot(1, { fanoutP50Ms: null, fanoutP99Ms: null }) });
    expect(latestSnapshot(state)?.fanoutP50Ms).toBeNull();
  });

  it('is connecting until the first connect, live while connected, reconnecting after a drop', () => {
    expect(initialDashboardState.connection).toBe('connecting');
    expect(run({ type: 'disconnected' }).connection).toBe('connecting');
    expect(run({ type: 'connected' }).connection).toBe('live');
    const dropped = run({ type: 'connected' }, { type: 'stats-received', payload: makeSnapshot(1) }, { type: 'disconnected' });
    expect(dropped.connection).toBe('reconnecting');
    expect(dropped.snapshots).toHaveLength(1);
    expect(dashboardReducer(dropped, { type: 'connected' }).connection).toBe('live');
  });
});
