import { afterEach, beforeEach } from 'vitest';

/**
 * Every process a test file spawned, so that a failing test shows what they printed. A kill
 * test that fails with "timed out" says little; the worker's own log of the same seconds
 * usually says why.
 */
const spawned: { name: string; output: () => string; exited: () => boolean; shownUpTo: number }[] = [];

/** Registers a spawned process's output for printing should the current test fail. */
export function rememberProcess(name: string, output: () => string, exited: () => boolean): void {
  spawned.push({ name, output, exited, shownUpTo: 0 });
}

/** Last lines kept per process: enough for the failure, not a wall of start-up noise. */
const TAIL_LINES = 80;

/**
 * Hooks for a vitest setup file: before each test, mark what was already printed; after a
 * failed one, print what each process wrote during it (processes started in beforeAll included).
 */
export function printProcessLogsOnFailure(): void {
  beforeEach(() => {
    for (const p of spawned) p.shownUpTo = p.output().length;
  });
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') {
      for (const p of spawned) {
        const lines = p.output().slice(p.shownUpTo).trimEnd().split('\n');
        if (lines.length === 1 && lines[0] === '') continue;
        console.error(`--- ${p.name} during "${task.name}" (last ${Math.min(lines.length, TAIL_LINES)} lines) ---\n${lines.slice(-TAIL_LINES).join('\n')}`);
      }
    }
    // Exited processes have nothing more to say; forget them so the list doesn't grow across a file.
    for (let i = spawned.length - 1; i >= 0; i--) if (spawned[i]!.exited()) spawned.splice(i, 1);
  });
}
