import { WORKER_ALIVE_MS } from '@ripple/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workerTiming } from './timing.js';

describe('workerTiming', () => {
  it('keeps the claim rules for any claim time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600_000 }), (claimIdleMs) => {
        const t = workerTiming(claimIdleMs);
        // A dead worker's last beat is at least two beats old once its entry is claimable…
        expect(t.heartbeatMs * 4).toBeLessThanOrEqual(claimIdleMs);
        expect(t.aliveWindowMs).toBe(2 * t.heartbeatMs);
        expect(t.aliveWindowMs).toBeLessThan(claimIdleMs);
        // …a live worker on a long chunk claims its own entry before anyone else may…
        expect(t.ownClaimMs).toBeLessThan(claimIdleMs);
        // …and an idle worker notices a stalled entry in time.
        expect(t.blockMs).toBeLessThanOrEqual(claimIdleMs);
        expect(t.claimCheckMs).toBeLessThan(claimIdleMs);
        // The dashboard's alive window spans several beats.
        expect(t.heartbeatMs * 5).toBeLessThanOrEqual(WORKER_ALIVE_MS);
      }),
    );
  });

  it('gives the default claim time the intervals the README describes', () => {
    expect(workerTiming(3000)).toEqual({ claimIdleMs: 3000, heartbeatMs: 750, aliveWindowMs: 1500, ownClaimMs: 1000, claimCheckMs: 1500, blockMs: 500 });
  });
});
