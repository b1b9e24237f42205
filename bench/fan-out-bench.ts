/**
 * `npm run bench`: how fast one tweet reaches N followers, against Redis's own speed.
 *
 * For each audience size, with empty and with full (TIMELINE_MAX entries) home timelines, and
 * with 1, 2 and 4 worker processes, it posts tweets and measures from outside, like a user:
 * HTTP post sent → `fanout:done` on the author's socket. In the same run, on the same Redis, it
 * measures the yardsticks and reports Ripple's deliveries/s as a ratio to each:
 * - the bare in-Redis loop (bare-loop.ts) over the same author's followers and the same
 *   timelines, the physical limit of a fan-out (each pass is taken back afterwards);
 * - `redis-benchmark -c 50 -r 1000000 -n 2000000 -P 128 ZADD tl:__rand_int__ __rand_int__
 *   t:__rand_int__`, random keys, as a fan-out writes;
 * - `redis-benchmark -t zadd`, one growing sorted set, reported for comparison only.
 * It also reports the memory of a full home timeline. `--kill` adds the recovery scenario: the
 * only worker is SIGKILLed after 10 % of a fan-out.
 *
 * With empty timelines every measured run starts from a freshly rewritten append-only file
 * (bench/aof-rewrite.ts), so that no rewrite forks inside one run and not another.
 *
 * Starts its own redis-server (append-only file on, as `npm start` runs it) on a free port and
 * one server process; prints a table and saves JSON under bench/results/.
 *
 * `npm run bench -- --cluster` runs the Redis Cluster measurements instead (bench/cluster-bench.ts),
 * `npm run bench -- --floor` the least a tweet's POST can cost (bench/floor/cpu-floor.ts),
 * `npm run bench -- --on-read` the read cost of fan-out on read against the write it saves (bench/on-read-bench.ts), and
 * `npm run bench -- --journey` what a job's journey costs Redis (bench/journey-cost.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { FanoutDone } from '@ripple/shared';
import { keysOf } from '@ripple/shared/node';
import { connectedClient } from '../test/support/ripple.js';
import { startRedis } from '../test/support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../test/support/processes.js';
import { addFollowers, openSocket, postTweet, type ClientSocket } from '../test/support/http-api.js';
import { waitForDelivered } from '../test/support/jobs.js';
import { signUp } from '../test/support/users.js';
import { followerIds } from '../test/support/timelines.js';
import { freshAof } from './aof-rewrite.js';
import { BARE_PAGE, bareLoopPass, loadBareLoop, takeBackBarePass } from './bare-loop.js';
import { oneSetZaddPerSecond, randomKeyZaddPerSecond } from './redis-yardstick.js';

// `--floor`: the least a tweet's POST can cost on this box instead; see bench/floor/cpu-floor.ts.
if (process.argv.includes('--floor')) {
  const { floorMain } = await import('./floor/main.js');
  await floorMain();
  process.exit(0);
}

// `--on-read`: both sides of fan-out on read (issue #14, part 3); see bench/on-read-bench.ts.
if (process.argv.includes('--on-read')) {
  const { runOnReadBench } = await import('./on-read-bench.js');
  await runOnReadBench(process.argv.slice(2));
  process.exit(0);
}

// `--journey`: what a job's journey costs Redis (issue #14, part 6); see bench/journey-cost.ts.
if (process.argv.includes('--journey')) {
  const { runJourneyCostBench } = await import('./journey-cost.js');
  await runJourneyCostBench();
  process.exit(0);
}

// `--cluster`: the Redis Cluster measurements (issue #10) instead; see bench/cluster-bench.ts.
if (process.argv.includes('--cluster')) {
  const { runClusterBench } = await import('./cluster-bench.js');
  await runClusterBench(process.argv.slice(2));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '100000,1000000' },
    workers: { type: 'string', default: '1,2,4' },
    timelines: { type: 'string', default: 'empty,full' },
    runs: { type: 'string', default: '3' },
    kill: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm run bench -- [options]
  --followers N[,N…]     audience sizes (default 100000,1000000)
  --workers N[,N…]       worker process counts to compare (default 1,2,4)
  --timelines empty,full home timelines empty, or already holding TIMELINE_MAX entries (default both)
  --runs N               tweets per combination; the median is reported (default 3)
  --kill                 also measure recovery: SIGKILL the only worker mid-way, start another`);
  process.exit(0);
}
const followerCounts = values.followers.split(',').map(Number);
const workerCounts = values.workers.split(',').map(Number);
const timelineModes = values.timelines.split(',') as ('empty' | 'full')[];
const runs = Number(values.runs);
const TIMELINE_MAX = 800;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function doneOf(socket: ClientSocket, jobId: string): Promise<FanoutDone> {
  return new Promise((resolve) => {
    const onDone = (done: FanoutDone) => {
      if (done.jobId !== jobId) return;
      socket.off('fanout:done', onDone);
      resolve(done);
    };
    socket.on('fanout:done', onDone);
  });
}

const redisServer = await startRedis({ appendOnly: true });
const redis = await connectedClient(redisServer.url, 0);
const server = await spawnServer(redisServer.url);
const workerEnv = { TIMELINE_MAX: String(TIMELINE_MAX) };

/**
 * Fills every follower's home timeline to TIMELINE_MAX by copying one template list. The ids are
 * ten digits, as on a system that has seen a billion tweets, so the memory figure is honest.
 * Then it waits for the append-only file rewrite the fill sets off, so that measurements see a
 * quiet Redis rather than a fork copying gigabytes.
 */
async function fillTimelines(authorId: string): Promise<void> {
  const template = 'ripple:bench:template';
  await redis.del(template);
  await redis.rPush(
    template,
    Array.from({ length: TIMELINE_MAX }, (_, i) => String(1_000_000_000 + i)),
  );
  const followers = await followerIds(redis, authorId);
  for (let start = 0; start < followers.length; start += 10_000) {
    const pipeline = redis.multi();
    for (const id of followers.slice(start, start + 10_000)) pipeline.copy(template, keysOf(redis).timeline(id), { REPLACE: true });
    await pipeline.execAsPipeline();
  }
  await settleAof();
}

async function settleAof(): Promise<void> {
  const rewriting = async () => /aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await redis.info('persistence'));
  if (!(await rewriting())) await redis.bgRewriteAof().catch(() => {});
  while (await rewriting()) await new Promise((r) => setTimeout(r, 200));
}

async function timelineBytes(authorId: string): Promise<{ mean: number; max: number }> {
  const ids = (await followerIds(redis, authorId)).slice(0, 100);
  const sizes = await Promise.all(ids.map(async (id) => Number(await redis.memoryUsage(keysOf(redis).timeline(id), { SAMPLES: 0 }))));
  return { mean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), max: Math.max(...sizes) };
}

console.log('measuring the ZADD yardsticks on the same Redis …');
const zaddRandomKeys = randomKeyZaddPerSecond(redisServer.port);
const zaddOneSet = oneSetZaddPerSecond(redisServer.port);
console.log(`random keys: ${zaddRandomKeys.opsPerSecond.toLocaleString('en-US')} ZADD/s  (${zaddRandomKeys.command})`);
console.log(`one set:     ${zaddOneSet.opsPerSecond.toLocaleString('en-US')} ZADD/s  (${zaddOneSet.command})\n`);
const bareSha = await loadBareLoop(redis);

/**
 * The bare loop over the author's own followers and timelines, `runs` passes, each taken back
 * afterwards so that the timelines stay as Ripple left them: deliveries/s of each pass.
 */
async function bareLoopRuns(authorId: string, mode: 'empty' | 'full'): Promise<number[]> {
  const k = keysOf(redis);
  const target = { followersKey: k.followers(0, authorId), timelinePrefix: k.timelinePrefix(0), timelineMax: TIMELINE_MAX };
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const value = String(8_000_000_000 + run);
    if (mode === 'empty') await freshAof([redis]);
    const pass = await bareLoopPass(redis, bareSha, { ...target, value });
    rates.push(Math.round(pass.pushed / (pass.ms / 1000)));
    await takeBackBarePass(redis, { ...target, value });
  }
  return rates;
}

const throughput: {
  followers: number;
  timelines: string;
  workers: number;
  postToDoneMs: number[];
  medianMs: number;
  deliveriesPerSecond: number;
  ratioToBareLoop: number;
  ratioToRandomKeyZadd: number;
  ratioToOneSetZadd: number;
}[] = [];
const bareLoop: { followers: number; timelines: string; deliveriesPerSecond: number[]; median: number }[] = [];
const memory: { followers: number; timelines: string; bytesPerTimeline: { mean: number; max: number } }[] = [];
const recovery: { followers: number; killedAtDelivered: number; killToDoneMs: number }[] = [];
try {
  for (const followers of followerCounts) {
    const author = await signUp(server.url, `bench_${Date.now().toString(36)}`);
    await addFollowers(server.url, author.token, followers);
    const socket = await openSocket(server.url, author.token);
    for (const mode of timelineModes) {
      if (mode === 'full') await fillTimelines(author.user.id);
      const bareRates = await bareLoopRuns(author.user.id, mode);
      const bareMedian = median(bareRates);
      bareLoop.push({ followers, timelines: mode, deliveriesPerSecond: bareRates, median: bareMedian });
      console.log(
        `${String(followers).padStart(9)} followers  ${mode.padEnd(5)} timelines  bare loop (${BARE_PAGE} per call)  ${bareMedian.toLocaleString('en-US').padStart(9)} deliveries/s  (runs: ${bareRates.map((r) => r.toLocaleString('en-US')).join(', ')})`,
      );
      for (const workerCount of workerCounts) {
        const workers: RippleProcess[] = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(redisServer.url, workerEnv)));
        const times: number[] = [];
        for (let run = 0; run < runs; run++) {
          if (mode === 'empty') await freshAof([redis]);
          const started = performance.now();
          const { job } = await postTweet(server.url, author.token, `bench ${mode} ${workerCount} ${run}`);
          await doneOf(socket, job.id);
          times.push(performance.now() - started);
        }
        await Promise.all(workers.map((w) => w.stop()));
        const medianMs = median(times);
        const deliveriesPerSecond = Math.round(followers / (medianMs / 1000));
        const ratio = (to: number) => Number((deliveriesPerSecond / to).toFixed(2));
        const row = {
          followers,
          timelines: mode,
          workers: workerCount,
          postToDoneMs: times.map(Math.round),
          medianMs: Math.round(medianMs),
          deliveriesPerSecond,
          ratioToBareLoop: ratio(bareMedian),
          ratioToRandomKeyZadd: ratio(zaddRandomKeys.opsPerSecond),
          ratioToOneSetZadd: ratio(zaddOneSet.opsPerSecond),
        };
        throughput.push(row);
        console.log(
          `${String(followers).padStart(9)} followers  ${mode.padEnd(5)} timelines  ${workerCount} worker(s)  post→done ${String(row.medianMs).padStart(5)} ms  ` +
            `${deliveriesPerSecond.toLocaleString('en-US').padStart(9)} deliveries/s  ${row.ratioToBareLoop.toFixed(2)}× bare loop  ${row.ratioToRandomKeyZadd.toFixed(2)}× random-key ZADD  ` +
            `${row.ratioToOneSetZadd.toFixed(2)}× one-set ZADD  (runs: ${row.postToDoneMs.join(', ')} ms)`,
        );
      }
      const bytes = await timelineBytes(author.user.id);
      memory.push({ followers, timelines: mode, bytesPerTimeline: bytes });
      console.log(
        `${String(followers).padStart(9)} followers  ${mode.padEnd(5)} timelines  memory per home timeline: mean ${bytes.mean} B, max ${bytes.max} B`,
      );
    }
    socket.close();

    if (values.kill) {
      const poster = await signUp(server.url, `benchk_${Date.now().toString(36)}`);
      await addFollowers(server.url, poster.token, followers);
      const posterSocket = await openSocket(server.url, poster.token);
      const victim = await spawnWorker(redisServer.url, workerEnv);
      const { job } = await postTweet(server.url, poster.token, 'bench: worker killed');
      const done = doneOf(posterSocket, job.id);
      const { delivered } = await waitForDelivered(server.url, poster.token, job.id, followers / 10, { intervalMs: 2, timeoutMs: 60_000 });
      await victim.stop('SIGKILL');
      const killedAt = performance.now();
      const rescuer = await spawnWorker(redisServer.url, workerEnv);
      await done;
      const row = { followers, killedAtDelivered: delivered, killToDoneMs: Math.round(performance.now() - killedAt) };
      recovery.push(row);
      console.log(
        `${String(followers).padStart(9)} followers  worker SIGKILLed at ${delivered} delivered; kill→done ${row.killToDoneMs} ms (claim idle 3000 ms)`,
      );
      posterSocket.close();
      await rescuer.stop();
    }
  }
} finally {
  await server.stop();
  await redis.close();
  await redisServer.stop();
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL(`./results/fan-out-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
writeFileSync(
  out,
  JSON.stringify({ machine, timelineMax: TIMELINE_MAX, runs, yardsticks: { zaddRandomKeys, zaddOneSet, bareLoop }, throughput, memory, recovery }, null, 2),
);
console.log(`saved ${out.pathname}`);
