/**
 * `npm run bench -- --on-read`: both sides of fan-out on read (FANOUT_ON_READ_THRESHOLD).
 *
 * Read side: home timeline reads (GET /api/timeline, first page of 50), p50 and p99 over
 * `--reads` sequential requests, for a reader following 0, 1 and 10 accounts that go out on
 * read (each with `--tweets` tweets of its own), beside written tweets of an ordinary account.
 *
 * Write side: one tweet to `--followers` followers, posted once through a server with the
 * threshold on and once through one with it off: the answer's latency, post → fanout:done, the
 * deliveries written, and the CPU Redis spent on it (INFO cpu, user + sys), which is what the
 * read side buys back.
 *
 * Starts its own redis-server (append-only file on, as `npm start` runs it), two server processes
 * (threshold on and off) and one worker; prints a table and saves JSON under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { connectedClient } from '../test/support/ripple.js';
import { startRedis } from '../test/support/redis-server.js';
import { spawnServer, spawnWorker } from '../test/support/processes.js';
import { addFollowers, api, openSocket, postTweet, recordEvents } from '../test/support/http-api.js';
import { waitForJob } from '../test/support/jobs.js';
import { signUp } from '../test/support/users.js';

/** Followers of each account that goes out on read: just past the threshold. */
const THRESHOLD = 1000;
const BIG_ACCOUNTS = 10;

export async function runOnReadBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'on-read': { type: 'boolean', default: true },
      followers: { type: 'string', default: '200000' },
      tweets: { type: 'string', default: '50' },
      reads: { type: 'string', default: '500' },
    },
  });
  const followers = Number(values.followers);
  const tweetsEach = Number(values.tweets);
  const reads = Number(values.reads);

  const redisServer = await startRedis({ appendOnly: true });
  const redis = await connectedClient(redisServer.url, 0);
  const onRead = await spawnServer(redisServer.url, { FANOUT_ON_READ_THRESHOLD: String(THRESHOLD) });
  const plain = await spawnServer(redisServer.url);
  const worker = await spawnWorker(redisServer.url);
  const stamp = Date.now().toString(36);
  const redisCpu = async () => {
    const info = await redis.info('cpu');
    const read = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return read('used_cpu_user') + read('used_cpu_sys');
  };
  try {
    console.log(`read side: ${BIG_ACCOUNTS} accounts past the threshold (${THRESHOLD}), ${tweetsEach} tweets each; ${reads} reads per reader …`);
    const readers = await Promise.all([0, 1, 10].map((n) => signUp(onRead.url, `r${n}_${stamp}`).then((r) => ({ ...r, following: n }))));
    const ordinary = await signUp(onRead.url, `o_${stamp}`);
    for (const r of readers) await api(onRead.url, '/api/follows', { token: r.token, body: { handle: ordinary.user.handle } });
    for (let i = 0; i < BIG_ACCOUNTS; i++) {
      const big = await signUp(onRead.url, `big${i}_${stamp}`);
      await addFollowers(onRead.url, big.token, THRESHOLD);
      for (const r of readers) if (i < r.following) await api(onRead.url, '/api/follows', { token: r.token, body: { handle: big.user.handle } });
      for (let t = 0; t < tweetsEach; t++) {
        const { job } = await postTweet(onRead.url, big.token, `big ${i} #${t}`);
        if (job.delivery !== 'on-read') throw new Error(`expected an on-read job, got ${job.delivery}`);
        await postTweet(onRead.url, ordinary.token, `ordinary ${i} #${t}`);
      }
    }
    const lastOrdinary = await postTweet(onRead.url, ordinary.token, 'ordinary: last');
    await waitForJob(onRead.url, ordinary.token, lastOrdinary.job.id, 'done');

    const readRows: { followingOnRead: number; reads: number; p50Ms: number; p99Ms: number; meanMs: number; redisCpuUsPerRead: number }[] = [];
    for (const r of readers) {
      const times: number[] = [];
      let cpuBefore = 0;
      for (let i = 0; i < reads + 20; i++) {
        const started = performance.now();
        await api(onRead.url, '/api/timeline?limit=50', { token: r.token });
        if (i >= 20) times.push(performance.now() - started);
        if (i === 19) cpuBefore = await redisCpu();
      }
      const redisCpuUsPerRead = Math.round((((await redisCpu()) - cpuBefore) * 1e6) / reads);
      times.sort((a, b) => a - b);
      const at = (q: number) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2));
      const row = {
        followingOnRead: r.following,
        reads,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        meanMs: Number((times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)),
        redisCpuUsPerRead,
      };
      readRows.push(row);
      console.log(
        `following ${String(r.following).padStart(2)} on-read accounts: timeline read p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, mean ${row.meanMs} ms, Redis CPU ${row.redisCpuUsPerRead} µs/read`,
      );
    }

    console.log(`\nwrite side: one tweet to ${followers.toLocaleString('en-US')} followers, threshold on and off …`);
    const author = await signUp(onRead.url, `w_${stamp}`);
    await addFollowers(onRead.url, author.token, followers);
    const socket = await openSocket(onRead.url, author.token);
    // Recorded from the start: an on-read job's fanout:done may come before its POST's answer is read.
    const seen = recordEvents(socket);
    const doneOf = async (jobId: string) => {
      while (!seen.some((e) => e.event === 'fanout:done' && (e.payload as { jobId: string }).jobId === jobId)) await new Promise((r) => setTimeout(r, 2));
    };
    const writeRows: { delivery: string; acceptMs: number; postToDoneMs: number; deliveriesWritten: number; redisCpuS: number }[] = [];
    for (const server of [onRead, plain]) {
      const cpuBefore = await redisCpu();
      const started = performance.now();
      const { job } = await postTweet(server.url, author.token, `one to many via ${server.url}`);
      const acceptMs = performance.now() - started;
      await doneOf(job.id);
      const postToDoneMs = performance.now() - started;
      const finished = await waitForJob(server.url, author.token, job.id, 'done');
      const row = {
        delivery: finished.delivery,
        acceptMs: Number(acceptMs.toFixed(1)),
        postToDoneMs: Math.max(Math.round(postToDoneMs), Math.round(acceptMs)),
        deliveriesWritten: finished.delivery === 'on-read' ? 0 : finished.delivered,
        redisCpuS: Number(((await redisCpu()) - cpuBefore).toFixed(3)),
      };
      writeRows.push(row);
      console.log(
        `${row.delivery.padEnd(8)} accept ${row.acceptMs} ms, post→done ${row.postToDoneMs} ms, timelines written ${row.deliveriesWritten.toLocaleString('en-US')}, Redis CPU ${row.redisCpuS} s`,
      );
    }
    socket.close();

    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const out = new URL(`./results/on-read-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
    writeFileSync(out, JSON.stringify({ machine, threshold: THRESHOLD, tweetsEach, followers, reads: readRows, write: writeRows }, null, 2));
    console.log(`saved ${out.pathname}`);
  } finally {
    await Promise.all([onRead.stop(), plain.stop(), worker.stop()]);
    await redis.close();
    await redisServer.stop();
  }
}
