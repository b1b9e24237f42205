import { parseArgs } from 'node:util';
import { integer, OptionsError, positive, timestampForFileName } from '../cli.js';
import { planFaults, FaultScheduleError } from './fault-schedule.js';

/** Everything one soak run is told from the command line. */
export interface SoakOptions {
  /**
   * Minutes of posting, faults included; setup, calibration, drain and checks come on top.
   * @defaultValue 10
   */
  minutes: number;
  /**
   * Follower deliveries per second to post at; null means 60 % of the drain rate measured at
   * start (see `calibration.ts`).
   * @defaultValue null
   */
  rate: number | null;
  /**
   * Share of the measured drain rate posted at when `rate` is not given.
   * @defaultValue 0.6
   */
  loadFraction: number;
  /**
   * Synthetic followers of the large authors; more large authors cycle through the list.
   * @defaultValue [20000, 50000, 100000]
   */
  largeAudiences: number[];
  /**
   * Range of synthetic followers of the small authors (one fan-out chunk each), spread evenly.
   * @defaultValue [100, 5000]
   */
  smallAudience: [number, number];
  /**
   * Real signed-up followers holding sockets; each follows one large and one small author.
   * @defaultValue 40
   */
  online: number;
  /**
   * Synthetic followers of the author whose fan-outs measure the drain rate.
   * @defaultValue 200000
   */
  calibrationFollowers: number;
  /**
   * Seconds to wait, once posting has stopped, for the backlog to drain.
   * @defaultValue 120
   */
  drainTimeoutS: number;
  /**
   * RSS growth, in MB per minute after warm-up, above which a process that was never killed
   * counts as leaking.
   * @defaultValue 2
   */
  maxRssSlopeMbPerMin: number;
  /**
   * Path of the JSON report.
   * @defaultValue `soak-results/<timestamp>.json`
   */
  out: string;
}

export const HELP = `npm run soak -- --minutes N [--rate R] [options]

Starts its own redis-server (append-only file, fsync every second) on a free port, two server
nodes and three workers; measures how fast the fan-out drains; then posts at a share of that
rate like real clients (same Idempotency-Key on every retry, Retry-After honoured) while it
SIGKILLs a worker, SIGSTOPs another, SIGKILLs a server node and SIGKILLs Redis on a schedule.
At the end it checks that nothing was lost, doubled or leaked, prints a table, writes JSON, and
exits 1 if any check failed. Everything it starts is stopped on exit and on Ctrl-C.

  --minutes N            minutes of posting, decimals allowed (default 10)
  --rate R               follower deliveries per second to post at (default: --load × the
                         drain rate measured at start)
  --load F               share of the measured drain rate, 0 < F ≤ 2 (default 0.6)
  --large LIST           synthetic followers of the large authors, comma-separated
                         (default 20000,50000,100000)
  --small MIN-MAX        synthetic followers of the small authors, spread evenly
                         (default 100-5000)
  --online N             real followers with sockets; each follows one large and one small
                         author (default 40)
  --calibration N        synthetic followers of the author that measures the drain rate
                         (default 200000)
  --drain-timeout S      seconds to wait for the backlog once posting stops (default 120)
  --max-rss-slope MB     RSS growth in MB/min after warm-up above which a process never
                         killed counts as leaking (default 2)
  --out PATH             JSON report (default soak-results/<timestamp>.json)
  -h, --help             show this help`;

/** Audiences above one fan-out chunk are "large"; the API adds at most 1 000 000 per call, the crowd adds more in several. */
function largeAudiences(raw: string): number[] {
  const sizes = raw.split(',').map((part) => integer('large', part.trim(), 1));
  if (sizes.length === 0) throw new OptionsError('--large must list at least one audience size');
  return sizes;
}

function smallAudience(raw: string): [number, number] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(raw);
  const [min, max] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  // Up to 10 000 followers a tweet is one chunk, the small lane (FANOUT_CHUNK_SIZE's default).
  if (!match || min < 1 || max < min || max > 10_000) {
    throw new OptionsError(`--small must be MIN-MAX with 1 ≤ MIN ≤ MAX ≤ 10000, got "${raw}"`);
  }
  return [min, max];
}

/**
 * Parses the command line. Returns `'help'` when help was asked for; throws an OptionsError
 * (one printable line) for anything it cannot run, a run too short for every fault included.
 */
export function parseOptions(argv: string[], now: Date = new Date()): SoakOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        minutes: { type: 'string', default: '10' },
        rate: { type: 'string' },
        load: { type: 'string', default: '0.6' },
        large: { type: 'string', default: '20000,50000,100000' },
        small: { type: 'string', default: '100-5000' },
        online: { type: 'string', default: '40' },
        calibration: { type: 'string', default: '200000' },
        'drain-timeout': { type: 'string', default: '120' },
        'max-rss-slope': { type: 'string', default: '2' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new OptionsError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return 'help';

  const options: SoakOptions = {
    minutes: positive('minutes', values.minutes, 24 * 60),
    rate: values.rate === undefined ? null : positive('rate', values.rate),
    loadFraction: positive('load', values.load, 2),
    largeAudiences: largeAudiences(values.large),
    smallAudience: smallAudience(values.small),
    online: integer('online', values.online, 1, 10_000),
    calibrationFollowers: integer('calibration', values.calibration, 10_000, 5_000_000),
    drainTimeoutS: integer('drain-timeout', values['drain-timeout'], 1),
    maxRssSlopeMbPerMin: positive('max-rss-slope', values['max-rss-slope']),
    out: values.out ?? `soak-results/${timestampForFileName(now)}.json`,
  };
  if (options.out.trim() === '') throw new OptionsError('--out must not be empty');
  try {
    planFaults(options.minutes * 60_000);
  } catch (error) {
    if (error instanceof FaultScheduleError) throw new OptionsError(`--minutes ${values.minutes}: ${error.message}`);
    throw error;
  }
  return options;
}
