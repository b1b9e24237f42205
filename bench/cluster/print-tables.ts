/**
 * The cluster bench's console tables, from the results it saves as JSON.
 */
import { cpus } from 'node:os';
import { fmt, showSpread, kShort } from './measure-math.js';
import type { ConfigResult } from './scale-out.js';
import { type BareResult, ZADD_COMMAND } from './yardsticks.js';
import type { LatencyResult } from './accept-latency.js';
import type { FailoverResult } from './failover.js';

export function printTables(r: {
  bareLoop: BareResult | undefined;
  zaddYardstickPerSecond: number | undefined;
  scaleOut: ConfigResult[];
  replicas: ConfigResult[];
  acceptLatency: LatencyResult | undefined;
  failover: FailoverResult | undefined;
  chosenWorkers: number;
}): void {
  const { bareLoop: bare } = r;
  if (bare) {
    console.log(
      `\n== bare in-Redis loop (${fmt(bare.followers)} ids in all; LPUSH/s summed over processes; existing keys: median (min–max) of the warm passes)`,
    );
    console.log('redis-servers  new keys (first pass)  existing keys                  CPU-s redis / wall s (existing, median)  per process      other');
    for (const [name, x] of Object.entries(bare.sets)) {
      console.log(
        `${name.padEnd(13)}  ${fmt(x.newKeys.perSecond).padStart(21)}  ${showSpread(x.existingPerSecond).padEnd(29)}  ${`${x.cpu.redisS.toFixed(2)} / ${x.cpu.wallS.toFixed(2)}`.padEnd(39)}  ${x.cpu.perProcessS.join(', ').padEnd(15)}  ${x.cpu.otherS.toFixed(2)}`,
      );
    }
    console.log(
      `3 at once ÷ 1: plain ${bare.ratios.plainExisting}× existing keys, ${bare.ratios.plainNew}× new keys; cluster-mode ${bare.ratios.clusterExisting}× existing, ${bare.ratios.clusterNew}× new`,
    );
  }
  if (r.zaddYardstickPerSecond) console.log(`ZADD yardstick (${ZADD_COMMAND}): ${fmt(r.zaddYardstickPerSecond)}/s`);

  const configs = [...r.scaleOut, ...r.replicas];
  if (configs.length > 0) {
    const baseline = (workers: number) => r.scaleOut.find((c) => c.topology === 'one Redis' && c.workers === workers);
    console.log(`\n== fan-out to ${fmt(configs[0]!.followers)} followers: deliveries/s (post → fanout:done on the author's socket)`);
    console.log(
      'configuration      workers  first run (new keys)   warm: median (min–max)          ratio vs one Redis   ÷ bare loop same kind   buckets per master   forks first/warm',
    );
    for (const c of configs) {
      const base = baseline(c.workers);
      const ratioWarm = base ? c.warmDeliveriesPerSecond.median / base.warmDeliveriesPerSecond.median : NaN;
      const ratioFirst = base ? c.first.deliveriesPerSecond / base.first.deliveriesPerSecond : NaN;
      const ratioRange = base
        ? `${(c.warmDeliveriesPerSecond.min / base.warmDeliveriesPerSecond.median).toFixed(2)}–${(c.warmDeliveriesPerSecond.max / base.warmDeliveriesPerSecond.median).toFixed(2)}`
        : '';
      // Against the bare loop on as many Redis processes of the same kind (plain or cluster-mode), when measured.
      const bareSet = bare?.sets[`${c.topology === 'one Redis' ? 'plain' : 'cluster'} ${c.masters}`];
      const bareRatio = bareSet ? (c.warmDeliveriesPerSecond.median / bareSet.existingPerSecond.median).toFixed(2) : '–';
      const bucketLine = Object.values(c.buckets)
        .map((b) => b.length)
        .join('/');
      console.log(
        `${c.topology.padEnd(18)} ${String(c.workers).padStart(7)}  ${`${fmt(c.first.deliveriesPerSecond)} (${fmt(c.first.postToDoneMs)} ms)`.padEnd(21)}  ${showSpread(c.warmDeliveriesPerSecond).padEnd(30)}  ` +
          `${(base ? `${ratioWarm.toFixed(2)}× (${ratioRange}) first ${ratioFirst.toFixed(2)}×` : '– (no one-Redis run)').padEnd(19)}  ${bareRatio.padStart(21)}   ${bucketLine.padEnd(19)}  ${c.forks.first}/${c.forks.warm}`,
      );
    }
    console.log('\n== where the CPU went: CPU-seconds per process kind during one warm fan-out (median of the warm runs), and cores used on average');
    console.log(
      'configuration      workers   wall s   redis  replica   fork  worker  server  bench  other   box busy (of wall×cores)    per master: CPU-s / s in scripts',
    );
    for (const c of configs) {
      const k = c.warmCpuS;
      const ours = ['redis', 'redis-replica', 'redis-fork', 'worker', 'server', 'bench', 'other'].reduce((s, x) => s + (k[x] ?? 0), 0);
      const cmd = Object.keys(c.warmScriptS)
        .filter((name) => name.startsWith('master'))
        .map((name) => `${c.warmNodeCpuS[name]!.toFixed(2)}/${c.warmScriptS[name]!.toFixed(2)}`)
        .join('  ');
      const col = (x: string) => (k[x] ?? 0).toFixed(2).padStart(6);
      console.log(
        `${c.topology.padEnd(18)} ${String(c.workers).padStart(7)}  ${c.warmWallS.toFixed(2).padStart(7)}  ${col('redis')}  ${col('redis-replica').padStart(7)}  ${col('redis-fork')}  ${col('worker')}  ${col('server')}  ${col('bench')}  ${col('other')}   ` +
          `${`${ours.toFixed(2)} of ${(c.warmWallS * cpus().length).toFixed(2)} (${(ours / c.warmWallS).toFixed(2)} cores)`.padEnd(26)}  ${cmd}`,
      );
    }
    const problems = configs.flatMap((c) => c.problems.map((p) => `${c.topology} ${c.workers}w: ${p}`));
    if (problems.length > 0) console.log(`\nPROBLEMS:\n  ${problems.join('\n  ')}`);
  }

  const l = r.acceptLatency;
  if (l) {
    console.log(`\n== accept latency of small tweets (${l.followersEach} followers each) on 3 masters + 3 replicas: POST /api/tweets, ms`);
    console.log('mode                           WAIT ms   posts   p50     p90     p99     max     not 202');
    for (const x of l.summary) {
      console.log(
        `${x.mode.padEnd(29)}  ${String(x.waitMs).padStart(7)}  ${String(x.posts).padStart(6)}  ${x.p50.toFixed(2).padStart(6)}  ${x.p90.toFixed(2).padStart(6)}  ${x.p99.toFixed(2).padStart(6)}  ${x.max.toFixed(2).padStart(6)}  ${String(x.non202).padStart(7)}`,
      );
    }
    console.log(`admissions counted unreplicated (ripple_admission_unreplicated_total): ${l.unreplicated} of ${l.postsWithWait} answered with WAIT 20`);
    if (l.postsWithWait > 0 && l.unreplicated >= l.postsWithWait) {
      console.log("  !! every admission counted unreplicated: the server never got a replica's confirmation (is WAIT sent at all?)");
    }
    console.log('raw write + WAIT 1 20 on a plain connection to each master in turn (what a working WAIT adds):');
    for (const x of l.rawWait)
      console.log(
        `  ${x.mode.padEnd(20)} p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)}, max ${x.max.toFixed(2)}; ${x.timedOut} of ${x.samples} timed out`,
      );
  }

  const f = r.failover;
  if (f) {
    console.log(
      `\n== failover: 3 masters + 3 replicas, ${f.workers} worker(s), master ${f.victimPort} SIGKILLed at ${fmt(f.killedAtDelivered)} of ${fmt(f.followers)} delivered`,
    );
    console.log(`kill → replica ${f.promotedPort} promoted:                     ${f.killToPromotionMs} ms`);
    console.log(`kill → first tweet accepted on the killed master's buckets:   ${f.killToFirstAcceptOnVictimMs} ms`);
    console.log(`kill → every job queued before the kill done:                 ${f.killToQueuedJobsDoneMs} ms`);
    console.log(`kill → every job (also those posted during the failover) done: ${f.killToAllJobsDoneMs} ms`);
    console.log(
      `posts every ~100 ms: ${f.posts.total}, ${f.posts.accepted} × 202, ${f.posts.unavailable503} × 503, ${f.posts.other} other; longest wait ${f.posts.longestMs} ms ` +
        `(killed master's buckets ${f.posts.longestOnVictimMs} ms, elsewhere ${f.posts.longestElsewhereMs} ms)`,
    );
    console.log(`admissions no replica confirmed (WAIT timed out or skipped): ${f.unreplicated}`);
    console.log(`jobs: ${f.jobs.done} of ${f.jobs.accepted} done with every follower${f.jobs.notDone.length ? `; NOT: ${f.jobs.notDone.join('; ')}` : ''}`);
    console.log(
      `timelines: ${f.check.wrongTimelines} wrong of ${fmt(f.check.sampledFollowers)} sampled${f.check.example ? ` (e.g. ${f.check.example})` : ''}; backlog afterwards ${f.check.backlogAfter}`,
    );
    const late = f.jobTimes
      .filter((j) => j.doneMs !== null)
      .sort((a, b) => b.doneMs! - a.doneMs!)
      .slice(0, 3);
    console.log(`last jobs done: ${late.map((j) => `${j.author} job ${j.jobId} accepted at ${j.acceptedMs} ms, done at ${j.doneMs} ms`).join('; ')}`);
    console.log(
      `celebrity jobs' delivered after the kill: ${f.progress
        .filter((_, i) => i % 4 === 0)
        .map((p) => `${(p.ms / 1000).toFixed(1)}s ${p.delivered.map((d) => (d === null ? '?' : kShort(d))).join('/')}`)
        .join(', ')}`,
    );
    console.log(`server and worker output: ${f.logsDir}`);
    if (f.afterFailover)
      console.log(
        `after the failover, one more big tweet: ${fmt(f.afterFailover.postToDoneMs)} ms post→done, ${fmt(f.afterFailover.deliveriesPerSecond)} deliveries/s`,
      );
  }
}
