import { parseArgs } from 'node:util';
import { integer, OptionsError, positive, timestampForFileName } from '../cli.js';

/** Everything one load-test run is told from the command line. */
export interface LoadTestOptions {
  /**
   * Base URL of the running Ripple (HTTP API and Socket.IO on the same origin).
   * @defaultValue `'http://127.0.0.1:3000'`
   */
  url: string;
  /**
   * Posting users; tweets go to them round-robin.
   * @defaultValue 10
   */
  authors: number;
  /**
   * Synthetic followers each author is given through `POST /api/me/followers/synthetic`.
   * @defaultValue 1000
   */
  followers: number;
  /**
   * Real signed-up followers holding live sockets; online user i follows author i % authors.
   * @defaultValue 20
   */
  online: number;
  /**
   * Tweets per second, as a constant arrival rate (open loop).
   * @defaultValue 50
   */
  rate: number;
  /**
   * Seconds of posting.
   * @defaultValue 30
   */
  durationS: number;
  /**
   * Seconds to wait after the posting phase for outstanding posts and `fanout:done`.
   * @defaultValue 60
   */
  drainTimeoutS: number;
  /**
   * Synthetic followers of one extra "celebrity" author, measured apart; 0 means no celebrity.
   * @defaultValue 0
   */
  celebrityFollowers: number;
  /**
   * Tweets the celebrity posts, spread evenly over the run from t = 0.
   * @defaultValue 1
   */
  celebrityPosts: number;
  /**
   * Big accounts that attack while the authors post: each has `attackerFollowers` synthetic
   * followers and posts at `attackerRate`, retrying refusals. Measured apart, under `attack`;
   * 0 means no attack.
   * @defaultValue 0
   */
  attackers: number;
  /**
   * Synthetic followers of each attacker. Above the server's `FANOUT_SMALL_AUDIENCE` (10 000 by
   * default) an attacker is a big fan-out, which is the case fair admission is about.
   * @defaultValue 1_000_000
   */
  attackerFollowers: number;
  /**
   * Tweets per second each attacker posts (open loop, from t = 0 for the whole run). The
   * default is Ripple's own rate limit, `RATE_LIMIT_TWEETS_PER_MIN` = 600/min.
   * @defaultValue 10
   */
  attackerRate: number;
  /**
   * Tries of one tweet (the first included) before it is given up on and counted as failed.
   * @defaultValue 8
   */
  maxTries: number;
  /**
   * Path of the report without extension: `<out>.json` and `<out>.html` are written.
   * @defaultValue `loadtest-results/<timestamp>`
   */
  out: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';
const DEFAULT_ATTACKER_FOLLOWERS = 1_000_000;
/** Ripple's default `RATE_LIMIT_TWEETS_PER_MIN` (600) per second. */
const DEFAULT_ATTACKER_RATE = 10;
/** Each attacker holds a socket and its own fan-out; more than this is no longer a load test of Ripple. */
const MAX_ATTACKERS = 100;

export const HELP = `npm run loadtest -- [options]

Drives a running Ripple through its public HTTP API and Socket.IO like real users, posting
tweets at a constant arrival rate (open loop), and reports fan-out latency measured from each
tweet's intended send time.

  --url URL                   Ripple to drive (default ${DEFAULT_URL})
  --authors N                 posting users, round-robin (default 10)
  --followers N               synthetic followers per author (default 1000)
  --online N                  real followers with live sockets; online user i follows
                              author i % authors (default 20)
  --rate N                    tweets per second, constant arrival rate (default 50)
  --duration S                seconds of posting (default 30)
  --drain-timeout S           seconds to wait afterwards for outstanding posts and
                              fanout:done (default 60)
  --celebrity-followers N     add one celebrity author with N synthetic followers, measured
                              apart under "celebrity"; 0 = none (default 0)
  --celebrity-posts K         tweets the celebrity posts, spread evenly from t = 0 (default 1)
  --attackers N               add N big accounts that post at their rate limit all through the
                              run while the authors post, retrying every refusal; the authors'
                              refusals and online delivery are then judged "under attack"
                              (goals: 0 refused, p99 ≤ 250 ms), the attackers' own tweets
                              counted apart; needs --online ≥ 1; 0 = none (default 0)
  --attacker-followers N      synthetic followers of each attacker; above the server's
                              FANOUT_SMALL_AUDIENCE to be a big fan-out (default 1000000)
  --attacker-rate N           tweets per second each attacker posts (default 10, Ripple's
                              default RATE_LIMIT_TWEETS_PER_MIN of 600/min)
  --max-tries N               tries per tweet on 429/503/network errors before it counts as
                              failed (default 8)
  --out PATH                  report path without extension; writes PATH.json and PATH.html
                              (default loadtest-results/<timestamp>)
  -h, --help                  show this help

Measures (ms): accept = intended send → 202; firstDelivery = intended send → first
timeline:new at any online follower; onlineDelivery = intended send → timeline:new at each
online follower of the author; complete = intended send → fanout:done.`;

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionsError(`--url must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OptionsError(`--url must be an http(s) URL, got "${raw}"`);
  return url.origin;
}

/**
 * Parses the command line. Returns `'help'` when help was asked for; throws an OptionsError
 * (one printable line) for anything it cannot run.
 */
export function parseOptions(argv: string[], now: Date = new Date()): LoadTestOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string', default: DEFAULT_URL },
        authors: { type: 'string', default: '10' },
        followers: { type: 'string', default: '1000' },
        online: { type: 'string', default: '20' },
        rate: { type: 'string', default: '50' },
        duration: { type: 'string', default: '30' },
        'drain-timeout': { type: 'string', default: '60' },
        'celebrity-followers': { type: 'string', default: '0' },
        'celebrity-posts': { type: 'string', default: '1' },
        // No defaults here: an attacker-* option given without --attackers is a mistake to report.
        attackers: { type: 'string' },
        'attacker-followers': { type: 'string' },
        'attacker-rate': { type: 'string' },
        'max-tries': { type: 'string', default: '8' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new OptionsError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return 'help';

  const options: LoadTestOptions = {
    url: baseUrl(values.url),
    authors: integer('authors', values.authors, 1, 100_000),
    // More than the API's 1 000 000 per call is fine: the crowd adds them in several calls.
    followers: integer('followers', values.followers, 0),
    online: integer('online', values.online, 0, 100_000),
    rate: positive('rate', values.rate),
    durationS: positive('duration', values.duration),
    drainTimeoutS: integer('drain-timeout', values['drain-timeout'], 0),
    celebrityFollowers: integer('celebrity-followers', values['celebrity-followers'], 0),
    celebrityPosts: integer('celebrity-posts', values['celebrity-posts'], 1),
    attackers: integer('attackers', values.attackers ?? '0', 0, MAX_ATTACKERS),
    attackerFollowers: integer('attacker-followers', values['attacker-followers'] ?? String(DEFAULT_ATTACKER_FOLLOWERS), 1),
    attackerRate: positive('attacker-rate', values['attacker-rate'] ?? String(DEFAULT_ATTACKER_RATE)),
    maxTries: integer('max-tries', values['max-tries'], 1, 100),
    out: values.out ?? `loadtest-results/${timestampForFileName(now)}`,
  };
  if (options.out.trim() === '') throw new OptionsError('--out must not be empty');
  if (options.attackers === 0) {
    const stray = (['attacker-followers', 'attacker-rate'] as const).find((flag) => values[flag] !== undefined);
    if (stray) throw new OptionsError(`--${stray} needs --attackers ≥ 1`);
  } else if (options.online === 0) {
    throw new OptionsError("--attackers needs --online ≥ 1: an attack is judged by the online delivery of the other authors' tweets");
  }
  return options;
}
