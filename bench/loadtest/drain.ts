import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './open-loop.js';
import type { PostingGroup } from './posting-groups.js';

/**
 * After the last `fanout:done`, how long to keep waiting for `timeline:new` events still on
 * their way: each is relayed separately and may trail the job's end by a moment.
 */
const DELIVERY_GRACE_MS = 2000;

/**
 * Waits for every post to settle and every job to report, then for the online followers'
 * deliveries (at most DELIVERY_GRACE_MS more), until `deadline`. Answers whether the deadline
 * ended it; an interrupt ends it at once.
 */
export async function drain(groups: readonly PostingGroup[], deadline: number, clock: Clock, interrupt?: AbortSignal): Promise<{ timedOut: boolean }> {
  let settledAt: number | null = null;
  while (!interrupt?.aborted) {
    const now = clock.now();
    const settled = groups.every((g) => g.tracker.posting === 0 && g.tracker.running === 0);
    const awaiting = groups.reduce((n, g) => n + g.tracker.awaitingDeliveries, 0);
    settledAt = settled ? (settledAt ?? now) : null;
    if (settledAt !== null && (awaiting === 0 || now - settledAt >= DELIVERY_GRACE_MS)) break;
    if (now >= deadline) return { timedOut: true };
    await delay(50);
  }
  return { timedOut: false };
}
