import type { Logger, RedisClient } from '@ripple/shared/node';
import type { Heartbeat } from './heartbeat.js';
import type { HeldEntry } from './lanes.js';
import { claimStalledEntry, type LaneRef } from './retries.js';
import { everyMs, NO_CLAIMS_AFTER_OUTAGE_MS, type WorkerTiming } from './timing.js';

export interface ClaimDeps {
  redis: RedisClient;
  heartbeat: Heartbeat;
  lanes: readonly LaneRef[];
  consumerName: string;
  timing: WorkerTiming;
  log: Logger;
}

/**
 * Takes over entries left pending longer than the claim time, small lanes first.
 *
 * If their worker is dead (no beat within the alive window), that was an attempt: the entry goes
 * back on its lane with the attempt counted, so a chunk that kills every worker ends in dead
 * letters. If their worker is alive but stalled, the chunk runs here alongside it (each page is
 * safe to race) and costs no attempt.
 */
export interface Claimer {
  /** Entries to run now; none when no look was due, nothing was stalled, or it was requeued. */
  takeStalled(): Promise<HeldEntry[]>;
  /** Holds claims back after an outage; see NO_CLAIMS_AFTER_OUTAGE_MS. */
  pauseAfterOutage(): void;
}

export function createClaimer(deps: ClaimDeps): Claimer {
  const { redis, timing } = deps;
  const look = everyMs(timing.claimCheckMs);
  let pausedUntil = 0;

  /** One entry taken over, if any; `took` also when it was requeued rather than handed here. */
  async function claimOne(): Promise<{ took: boolean; entries: HeldEntry[] }> {
    const alive = await deps.heartbeat.aliveWithin(timing.aliveWindowMs);
    for (const from of deps.lanes) {
      const claim = await claimStalledEntry(redis, from, deps.consumerName, timing.claimIdleMs, alive);
      if (claim.outcome === 'alive') return { took: true, entries: [{ id: claim.id, message: claim.message, from }] };
      if (claim.outcome === 'requeued') {
        deps.log.warn({ entryId: claim.id, ...from, attempt: claim.attempt }, 'took over the chunk of a dead worker');
        return { took: true, entries: [] };
      }
    }
    return { took: false, entries: [] };
  }

  return {
    async takeStalled() {
      if (Date.now() < pausedUntil || !look.due()) return [];
      const claimed = await claimOne();
      // A dead worker may have left several entries: keep claiming until none is left.
      if (claimed.took) look.reopen();
      return claimed.entries;
    },
    pauseAfterOutage() {
      pausedUntil = Date.now() + NO_CLAIMS_AFTER_OUTAGE_MS;
    },
  };
}
