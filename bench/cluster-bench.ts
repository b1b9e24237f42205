/**
 * `npm run bench -- --cluster`: Ripple on a Redis Cluster against Ripple on one Redis, on this
 * machine (issue #10). Three parts, each on fresh Redis processes (append-only file on, as
 * `npm start` and `npm run cluster` run them):
 *
 * 1. scale-out: deliveries/s of one N-follower fan-out on one (non-cluster) Redis and on clusters
 *    of 1, 2 and 3 masters without replicas, for each worker process count; in the same run the
 *    bare in-Redis loop (bench/bare-loop.ts) on 1 Redis and on 3 at once, plain and cluster-mode,
 *    which says what the box allows, and redis-benchmark's ZADD for reference. Every fan-out is
 *    profiled: CPU-seconds of each redis-server (and its AOF rewrite forks), worker and server
 *    process during it (/proc, bench/process-cpu.ts), the rest of the box ("other": a shared
 *    machine), and the time each Redis spent in scripts (INFO commandstats).
 * 2. replicas: the same fan-out on 3 masters + 3 replicas, and the accept latency of small tweets
 *    (POST /api/tweets) with ADMISSION_REPLICA_WAIT_MS=20 against 0, posts alternating between two
 *    server processes on the same cluster, idle and during a fan-out; and, for comparison, a bare
 *    write + `WAIT 1 20` on a plain connection to each master.
 * 3. failover: on 3 + 3, a master is SIGKILLed in the middle of an N-follower fan-out with more
 *    tweets queued while a client keeps posting every ~100 ms: kill → promotion, kill → every job
 *    done, the longest any request waited; then a sample of timelines is checked.
 *
 * Each configuration's first fan-out after the fresh start (brand-new timeline keys, processes
 * just started) is reported apart from the warm ones (keys that exist), of which the median and
 * the spread (min–max) are reported. Prints tables and saves JSON under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { BARE_PAGE } from './bare-loop.js';
import { fmt } from './cluster/measure-math.js';
import { TIMELINE_MAX } from './cluster/bench-env.js';
import { type ConfigResult, fanOutConfig, retryOnce } from './cluster/scale-out.js';
import { type BareResult, bareLoopYardstick, ZADD_COMMAND, zaddYardstick } from './cluster/yardsticks.js';
import { type LatencyResult, acceptLatency } from './cluster/accept-latency.js';
import { type FailoverResult, failover } from './cluster/failover.js';
import { printTables } from './cluster/print-tables.js';

const HELP = `npm run bench -- --cluster [options]
  --followers N          audience of each measured fan-out (default 1000000)
  --runs N               warm fan-outs per configuration, after the first (default 3)
  --workers N[,N…]       worker process counts to compare (default 2,3)
  --masters N[,N…]       cluster sizes for the scale-out (default 1,2,3)
  --parts LIST           any of scale,replicas,failover (default all three)
  --failover-followers N audience of the failover's fan-out (default --followers)
  --posts N              small tweets per WAIT setting and mode in the latency test (default 200)
  --skip-yardsticks      no bare loop or ZADD yardstick (exploratory runs; the ratios need them)`;

/** The commit measured, and the files that differed from it (the bench measures the working tree). */
function codeVersion(): { commit: string; uncommitted: string[]; diffSha1: string } {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trimEnd();
  try {
    return {
      commit: git('rev-parse', 'HEAD'),
      uncommitted: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean),
      diffSha1: createHash('sha1').update(git('diff', 'HEAD')).digest('hex'),
    };
  } catch {
    return { commit: 'unknown', uncommitted: [], diffSha1: '' };
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      cluster: { type: 'boolean', default: false },
      followers: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2,3' },
      masters: { type: 'string', default: '1,2,3' },
      parts: { type: 'string', default: 'scale,replicas,failover' },
      'failover-followers': { type: 'string' },
      posts: { type: 'string', default: '200' },
      'skip-yardsticks': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (flag: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number ≥ ${min}, got "${raw}"`);
    return n;
  };
  const list = (flag: string, raw: string) => raw.split(',').map((x) => whole(flag, x.trim(), 1));
  const parts = values.parts.split(',').map((p) => p.trim());
  for (const p of parts) if (!['scale', 'replicas', 'failover'].includes(p)) throw new Error(`--parts: unknown part "${p}"`);
  const followers = whole('followers', values.followers, 1000);
  return {
    help: values.help,
    followers,
    runs: whole('runs', values.runs, 1),
    workers: list('workers', values.workers),
    masters: list('masters', values.masters),
    parts,
    failoverFollowers: values['failover-followers'] === undefined ? followers : whole('failover-followers', values['failover-followers'], 1000),
    posts: whole('posts', values.posts, 2),
    skipYardsticks: values['skip-yardsticks'],
  };
}

export async function runClusterBench(argv: string[]): Promise<void> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(HELP);
    return;
  }
  const { followers, runs, workers, masters, parts, failoverFollowers, posts, skipYardsticks } = options;
  const commandLine = `npm run bench -- ${argv.join(' ')}`;
  console.log(
    `${commandLine}\n${cpus().length} cores (${cpus()[0]?.model}), followers ${fmt(followers)}, runs 1 first + ${runs} warm, workers ${workers.join(',')}`,
  );
  if (runs < 3) console.log('note: fewer than 3 warm runs; the clarifications ask for the median of at least 3');
  const startedAt = Date.now();
  const codeAtStart = codeVersion();

  let bare: BareResult | undefined;
  let zadd: number | undefined;
  const scale: ConfigResult[] = [];
  const replicas: ConfigResult[] = [];
  let latency: LatencyResult | undefined;
  let failoverResult: FailoverResult | undefined;

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = new URL(`./results/cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  let chosenWorkers = workers[workers.length - 1]!;
  /** The results so far; written after every configuration, so a run cut short keeps what it measured. */
  const snapshot = (complete: boolean) => {
    const result = {
      commandLine,
      complete,
      // The working tree at the start; `codeChangedDuringRun` when it differed at the end.
      code: codeAtStart,
      codeChangedDuringRun: JSON.stringify(codeVersion()) !== JSON.stringify(codeAtStart),
      commands: {
        bareLoop: `Lua per ${BARE_PAGE} ids: ZRANGE followers BYSCORE (cursor +inf LIMIT 0 ${BARE_PAGE}; LPUSH timeline id; LTRIM 0 ${TIMELINE_MAX - 1} once longer than ${TIMELINE_MAX + Math.ceil(TIMELINE_MAX / 8)} (bench/bare-loop.ts)`,
        zadd: ZADD_COMMAND,
        redis:
          'redis-server --appendonly yes --appendfsync everysec --save "" (+ --cluster-enabled yes --cluster-node-timeout 1000 --cluster-require-full-coverage no on clusters)',
        server: 'node --import tsx server/src/main.ts (ADMISSION_REPLICA_WAIT_MS=20 with replicas, 0 without)',
        worker: `node --import tsx worker/src/main.ts (TIMELINE_MAX=${TIMELINE_MAX})`,
      },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      options,
      chosenWorkers,
      elapsedS: Math.round((Date.now() - startedAt) / 1000),
      bareLoop: bare,
      zaddYardstickPerSecond: zadd,
      scaleOut: scale,
      replicas,
      acceptLatency: latency,
      failover: failoverResult,
    };
    writeFileSync(out, JSON.stringify(result, null, 2));
    return result;
  };

  if (parts.includes('scale')) {
    if (!skipYardsticks) {
      bare = await bareLoopYardstick(followers, runs);
      console.log(`\n— ZADD yardstick: ${ZADD_COMMAND} on a fresh Redis …`);
      zadd = await zaddYardstick();
      console.log(`  ${fmt(zadd)} ZADD/s`);
      snapshot(false);
    }
    for (const w of workers) {
      scale.push(await retryOnce(`one Redis, ${w} workers`, () => fanOutConfig({ kind: 'single' }, w, followers, runs)));
      snapshot(false);
      for (const m of masters) {
        scale.push(await retryOnce(`cluster ${m}m, ${w} workers`, () => fanOutConfig({ kind: 'cluster', masters: m, replicas: 0 }, w, followers, runs)));
        snapshot(false);
      }
    }
  }
  // The worker count for the latency and failover measures: the best on 3 masters, if measured.
  const best3 = scale
    .filter((c) => c.masters === 3 && c.replicas === 0 && c.topology !== 'one Redis')
    .sort((a, b) => b.warmDeliveriesPerSecond.median - a.warmDeliveriesPerSecond.median)[0];
  chosenWorkers = best3?.workers ?? chosenWorkers;
  if (parts.includes('replicas')) {
    for (const w of workers) {
      replicas.push(
        await retryOnce(`cluster 3m+3r, ${w} workers`, () =>
          fanOutConfig({ kind: 'cluster', masters: 3, replicas: 1 }, w, followers, runs, async (ctx) => {
            if (w === chosenWorkers) latency = await acceptLatency(ctx, posts);
          }),
        ),
      );
      snapshot(false);
    }
  }
  if (parts.includes('failover')) failoverResult = await retryOnce('failover', () => failover(chosenWorkers, failoverFollowers));

  const result = snapshot(true);
  printTables(result);
  console.log(`\nsaved ${out.pathname} (${result.elapsedS} s)`);
}
