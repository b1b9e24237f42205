import { abortableSleep } from '@ripple/shared';
import type { FaultKind, ScheduledFault } from './fault-schedule.js';
import type { SoakStack, StackProcess } from './soak-stack.js';

/** What one fault did. */
export interface FaultRecord {
  kind: FaultKind;
  /** ms after posting started: when it was planned, began and ended. */
  plannedAtMs: number;
  startedAtMs: number;
  endedAtMs: number;
  /** The process or service it hit. */
  target: string;
  /** e.g. `pid 123 → 456, serving again after 2.8 s`. */
  detail: string;
  /** Why the fault could not be carried out (a restart that failed), or null. */
  error: string | null;
}

export interface FaultInjectorOptions {
  /** ms since posting started. */
  now: () => number;
  /** Aborting it stops injecting; a stopped worker is resumed first. */
  signal: AbortSignal;
  /** The workers' FANOUT_CLAIM_IDLE_MS: a stopped worker stays stopped longer than this. */
  claimIdleMs: number;
  /** Told of each fault as it ends. */
  onFault?: (record: FaultRecord) => void;
}

/** How long after the claim time a SIGSTOPped worker stays stopped: its entries are claimed meanwhile. */
const STOP_BEYOND_CLAIM_MS = 2_000;
/** Pause between killing a process and starting it again: the gap clients see. */
const DOWN_MS = 1_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pidOf = (slot: StackProcess) => slot.proc.child.pid ?? -1;

const targetOf = (kind: FaultKind, stack: SoakStack): string =>
  ({ 'kill-worker': stack.workers[0].name, 'stop-worker': stack.workers[1].name, 'kill-server': stack.servers[0].name, 'kill-redis': 'redis' })[kind];

/** Carries out one fault on the stack; returns what happened, in a few words. */
async function inject(kind: FaultKind, stack: SoakStack, options: FaultInjectorOptions): Promise<{ target: string; detail: string }> {
  const t0 = Date.now();
  switch (kind) {
    case 'kill-worker':
    case 'kill-server': {
      const slot = kind === 'kill-worker' ? stack.workers[0] : stack.servers[0];
      const before = pidOf(slot);
      await stack.restart(slot, DOWN_MS);
      return { target: slot.name, detail: `SIGKILL pid ${before}; pid ${pidOf(slot)} ready after ${seconds(Date.now() - t0)}` };
    }
    case 'stop-worker': {
      const slot = stack.workers[1];
      const stopForMs = options.claimIdleMs + STOP_BEYOND_CLAIM_MS;
      slot.proc.child.kill('SIGSTOP');
      try {
        await abortableSleep(stopForMs, options.signal);
      } finally {
        slot.proc.child.kill('SIGCONT');
      }
      return { target: slot.name, detail: `SIGSTOP pid ${pidOf(slot)} for ${seconds(stopForMs)} (claim time ${seconds(options.claimIdleMs)}), then SIGCONT` };
    }
    case 'kill-redis': {
      await stack.redis.kill();
      await abortableSleep(DOWN_MS, options.signal);
      const restartAt = Date.now();
      await stack.redis.restart();
      return {
        target: 'redis',
        detail: `SIGKILL; answering again after ${seconds(Date.now() - t0)} (${seconds(Date.now() - restartAt)} of it loading the append-only file)`,
      };
    }
  }
}

/**
 * Runs `schedule` against the stack, one fault at a time: each starts at its planned time, or
 * as soon as the one before has ended if that took longer. Resolves with what each did; a
 * fault that fails is recorded and the schedule goes on.
 */
export async function injectFaults(schedule: readonly ScheduledFault[], stack: SoakStack, options: FaultInjectorOptions): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const fault of schedule) {
    try {
      await abortableSleep(Math.max(0, fault.atMs - options.now()), options.signal);
    } catch {
      break;
    }
    const startedAtMs = options.now();
    let outcome = { target: targetOf(fault.kind, stack), detail: '' };
    let error: string | null = null;
    try {
      outcome = await inject(fault.kind, stack, options);
    } catch (err) {
      error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
    const record: FaultRecord = { kind: fault.kind, plannedAtMs: fault.atMs, startedAtMs, endedAtMs: options.now(), ...outcome, error };
    records.push(record);
    options.onFault?.(record);
    if (options.signal.aborted) break;
  }
  return records;
}
