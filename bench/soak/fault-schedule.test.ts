import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, FaultScheduleError, planFaults, quietMs, shortestPostingMs } from './fault-schedule.js';

describe('planFaults', () => {
  it('fits all four kinds into a 90 s run, evenly spaced, with quiet ends', () => {
    const faults = planFaults(90_000);
    expect(faults.map((f) => f.kind)).toEqual([...FAULT_KINDS]);
    expect(faults.map((f) => f.atMs)).toEqual([13_500, 34_500, 55_500, 76_500]);
  });

  it('gives a ten-minute run a fault every 45 s, cycling through the kinds', () => {
    const faults = planFaults(600_000);
    expect(faults).toHaveLength(11);
    expect(faults[0]).toEqual({ atMs: 60_000, kind: 'kill-worker' });
    expect(faults[10]).toEqual({ atMs: 510_000, kind: 'kill-server' });
    const gaps = faults.slice(1).map((f, i) => f.atMs - faults[i]!.atMs);
    expect(new Set(gaps)).toEqual(new Set([45_000]));
    for (const kind of FAULT_KINDS) expect(faults.filter((f) => f.kind === kind).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the first and last stretch of posting free of faults', () => {
    for (const postingMs of [60_000, 90_000, 600_000, 3_600_000]) {
      const faults = planFaults(postingMs);
      expect(faults[0]!.atMs).toBeGreaterThanOrEqual(quietMs(postingMs) - 1);
      expect(faults[faults.length - 1]!.atMs).toBeLessThanOrEqual(postingMs - quietMs(postingMs) + 1);
    }
  });

  it('refuses a run too short for four faults 12 s apart, and names the shortest that works', () => {
    expect(() => planFaults(40_000)).toThrow(FaultScheduleError);
    expect(() => planFaults(40_000)).toThrow(/at least 0\.9 minutes/);
    const shortest = shortestPostingMs(12_000);
    expect(planFaults(shortest)).toHaveLength(4);
    expect(() => planFaults(shortest - 100)).toThrow(FaultScheduleError);
  });
});
