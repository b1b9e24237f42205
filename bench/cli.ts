/**
 * What the bench's command-line tools (`npm run loadtest`, `npm run soak`) share: how an option
 * is read and refused, and how a bad command line ends the process.
 */

/** A command line that cannot be run; its message is the one line the CLI prints. */
export class OptionsError extends Error {
  override name = 'OptionsError';
}

/** The ISO time with characters that file systems dislike replaced: 2026-11-28T01-00-49. */
export const timestampForFileName = (date: Date): string => date.toISOString().slice(0, 19).replace(/:/g, '-');

/** A whole number within [min, max], or an OptionsError naming the flag. */
export function integer(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new OptionsError(`--${flag} must be a whole number ${range}, got "${raw}"`);
  }
  return n;
}

/** A number in (0, max], fractions allowed, or an OptionsError naming the flag. */
export function positive(flag: string, raw: string, max = Number.POSITIVE_INFINITY): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
    throw new OptionsError(`--${flag} must be a number > 0${max < Infinity ? ` and ≤ ${max}` : ''}, got "${raw}"`);
  }
  return n;
}

/** Prints `<tool>: <line>` on stderr and exits with `code` (1: the run failed; 2: bad command line). */
export function exitWith(tool: string, line: string, code = 1): never {
  process.stderr.write(`${tool}: ${line}\n`);
  process.exit(code);
}

/**
 * The options of this process's command line, or the end of the process: `--help` prints
 * `help` and exits 0, a bad command line prints its one line and exits 2.
 */
export function optionsOrExit<T>(tool: string, parse: (argv: string[]) => T | 'help', help: string): T {
  let options: T | 'help';
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    if (error instanceof OptionsError) exitWith(tool, error.message, 2);
    throw error;
  }
  if (options === 'help') {
    console.log(help);
    process.exit(0);
  }
  return options;
}
