/**
 * `npm run bench`: fan-out of one tweet to N followers with 1, 2 and 4 worker processes,
 * measured from outside like a user would: HTTP post sent → `fanout:done` on the author's
 * socket. With `--kill`, also the recovery scenario: the only worker is SIGKILLed mid-way,
 * a new one is started at once, and the time from the kill to `fanout:done` is measured.
 *
 * Starts its own redis-server (append-only file on, as `npm start` runs it) on a free port,
 * one server process and the workers; prints a table and saves JSON under bench/results/.
 *
 *   npm run bench -- --followers 100000 --workers 1,2,4 --runs 3 --kill
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { FanoutDone } from '@ripple/shared';
import { startRedis } from '../test/support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../test/support/processes.js';
import { addFollowers, openSocket, postTweet, readJob, signUpVia, type ClientSocket } from '../test/support/http-api.js';

const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '3' },
    kill: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm run bench -- [options]
  --followers N[,N…]  audience sizes to fan out to (default 100000)
  --workers N[,N…]    worker process counts to compare (default 1,2,4)
  --runs N            tweets per combination; the median is reported (default 3)
  --kill              also measure recovery: SIGKILL the only worker mid-way, start another`);
  process.exit(0);
}
const followerCounts = values.followers.split(',').map(Number);
const workerCounts = values.workers.split(',').map(Number);
const runs = Number(values.runs);
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

const redis = await startRedis({ appendOnly: true });
const server = await spawnServer(redis.url);
const workerEnv = { FANOUT_CLAIM_IDLE_MS: '3000' };

async function author(followers: number) {
  const user = await signUpVia(server.url, `bench_${Date.now().toString(36)}`);
  await addFollowers(server.url, user.token, followers);
  return { ...user, socket: await openSocket(server.url, user.token) };
}

const throughput: { followers: number; workers: number; postToDoneMs: number[]; medianMs: number; deliveriesPerSecond: number }[] = [];
const recovery: { followers: number; claimIdleMs: number; killedAtDelivered: number; killToDoneMs: number; postToDoneMs: number }[] = [];
try {
  for (const followers of followerCounts) {
    for (const workerCount of workerCounts) {
      const workers: RippleProcess[] = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(redis.url, workerEnv)));
      const poster = await author(followers);
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        const { job } = await postTweet(server.url, poster.token, `bench ${run}`);
        await doneOf(poster.socket, job.id);
        times.push(performance.now() - started);
      }
      poster.socket.close();
      await Promise.all(workers.map((w) => w.stop()));
      const medianMs = median(times);
      const row = { followers, workers: workerCount, postToDoneMs: times.map(Math.round), medianMs: Math.round(medianMs), deliveriesPerSecond: Math.round(followers / (medianMs / 1000)) };
      throughput.push(row);
      console.log(
        `${String(followers).padStart(9)} followers  ${workerCount} worker(s)  post→done median ${String(row.medianMs).padStart(6)} ms  ` +
          `${row.deliveriesPerSecond.toLocaleString('en-US').padStart(9)} deliveries/s  (runs: ${row.postToDoneMs.join(', ')} ms)`,
      );
    }

    if (values.kill) {
      const poster = await author(followers);
      const victim = await spawnWorker(redis.url, workerEnv);
      const started = performance.now();
      const { job } = await postTweet(server.url, poster.token, 'bench: worker killed');
      const done = doneOf(poster.socket, job.id);
      let delivered = 0;
      while ((delivered = (await readJob(server.url, poster.token, job.id))?.delivered ?? 0) < followers / 10) await new Promise((r) => setTimeout(r, 2));
      await victim.stop('SIGKILL');
      const killedAt = performance.now();
      const rescuer = await spawnWorker(redis.url, workerEnv);
      await done;
      const row = { followers, claimIdleMs: 3000, killedAtDelivered: delivered, killToDoneMs: Math.round(performance.now() - killedAt), postToDoneMs: Math.round(performance.now() - started) };
      recovery.push(row);
      console.log(`${String(followers).padStart(9)} followers  worker SIGKILLed at ${delivered} delivered; kill→done ${row.killToDoneMs} ms (claim idle ${row.claimIdleMs} ms)`);
      poster.socket.close();
      await rescuer.stop();
    }
  }
} finally {
  await server.stop();
  await redis.stop();
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL(`./results/fan-out-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(out, JSON.stringify({ machine: { cpus: cpus().length, node: process.version }, runs, throughput, recovery }, null, 2));
console.log(`saved ${out.pathname}`);
