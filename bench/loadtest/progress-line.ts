/** What the live progress line shows. */
export interface ProgressState {
  phase: 'posting' | 'draining';
  /** Seconds into the phase. */
  elapsedS: number;
  /** Seconds the phase lasts at most. */
  phaseS: number;
  sent: number;
  accepted: number;
  refused: number;
  done: number;
  failed: number;
  backlog: number | null;
}

const BAR_WIDTH = 20;

/** `posting [#####.......] 7.5/30 s  sent 375  accepted 370  refused 0  done 360  failed 0  backlog 1200` */
export function formatProgress(state: ProgressState): string {
  const filled = Math.round(BAR_WIDTH * Math.min(1, state.phaseS > 0 ? state.elapsedS / state.phaseS : 1));
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  return [
    `${state.phase} [${bar}] ${state.elapsedS.toFixed(1)}/${state.phaseS} s`,
    `sent ${state.sent}`,
    `accepted ${state.accepted}`,
    `refused ${state.refused}`,
    `done ${state.done}`,
    `failed ${state.failed}`,
    `backlog ${state.backlog ?? '?'}`,
  ].join('  ');
}

/** Where the line goes: a TTY is redrawn in place, anything else gets a line now and then. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * A one-line progress display on stderr, so stdout keeps only the report. On a terminal the
 * line is redrawn in place; in a log file it would be thousands of lines, so there it is
 * printed every `logEveryMs` instead.
 */
export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #logEveryMs: number;
  #shown = false;
  #lastLoggedAt = -Infinity;
  /** The latest progress not written out yet (off a TTY), so `end` can show the final state. */
  #unlogged: string | null = null;

  constructor(stream: ProgressStream = process.stderr, logEveryMs = 5000) {
    this.#stream = stream;
    this.#logEveryMs = logEveryMs;
  }

  /** Shows `text` as the current progress. */
  update(text: string, now: number = performance.now()): void {
    if (this.#stream.isTTY) {
      // A pseudo-terminal may report 0 columns: treat that as unknown.
      const width = Math.max(20, (this.#stream.columns || 120) - 1);
      this.#stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
      this.#shown = true;
    } else if (now - this.#lastLoggedAt >= this.#logEveryMs) {
      this.#lastLoggedAt = now;
      this.#unlogged = null;
      this.#stream.write(`${text}\n`);
    } else {
      this.#unlogged = text;
    }
  }

  /** Prints `line` on its own line, above the progress line. */
  log(line: string): void {
    this.#clear();
    this.#stream.write(`${line}\n`);
  }

  /** Leaves the last progress on screen and moves to a fresh line. */
  end(): void {
    if (this.#unlogged !== null) this.#stream.write(`${this.#unlogged}\n`);
    this.#unlogged = null;
    if (this.#shown) this.#stream.write('\n');
    this.#shown = false;
  }

  #clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K');
    this.#shown = false;
  }
}
