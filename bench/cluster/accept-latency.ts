/**
 * Part 2b: what `WAIT 1 20` after admission costs a small tweet's accept, idle and during a
 * fan-out, against a bare write + WAIT on a plain connection.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClientType } from 'redis';
import { statsField, type PostTweetResponse } from '@ripple/shared';
import { readCounters } from '../../server/src/store/bucket-totals.js';
import { addFollowers, api } from '../../test/support/http-api.js';
import { spawnServer } from '../../test/support/processes.js';
import { signUp } from '../../test/support/users.js';
import { percentile, round, kShort } from './measure-math.js';
import { uniqueHandle, timedPost } from './bench-client.js';
import { topologyName, type Env, probe, settleEnvAof } from './bench-env.js';
import type { ExtraContext } from './scale-out.js';

/** Small tweets' authors in the latency test, and their followers. */
export const LATENCY_AUTHORS = 20;
export const LATENCY_FOLLOWERS = 10;
export const LATENCY_CONCURRENCY = 4;

export interface LatencySample {
  waitMs: number;
  mode: string;
  ms: number;
  status: number;
}

export interface LatencySummary {
  waitMs: number;
  mode: string;
  posts: number;
  non202: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RawWaitSummary {
  mode: string;
  samples: number;
  /** WAIT 1 20 answered 0: no replica confirmed within 20 ms. */
  timedOut: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LatencyResult {
  authors: number;
  followersEach: number;
  summary: LatencySummary[];
  /** POSTs answered by the server with ADMISSION_REPLICA_WAIT_MS=20, warm-up included. */
  postsWithWait: number;
  /** Admissions counted unreplicated (ripple_admission_unreplicated_total) meanwhile. */
  unreplicated: number;
  /** The same write + `WAIT 1 20` on a plain connection to each master: what a working WAIT costs. */
  rawWait: RawWaitSummary[];
  /** The fan-out that ran under the "during fan-out" modes. */
  duringFanOutMs: number[];
}

export const summarize = (xs: readonly number[]) => ({
  p50: round(percentile(xs, 50), 2),
  p90: round(percentile(xs, 90), 2),
  p99: round(percentile(xs, 99), 2),
  max: round(Math.max(...xs), 2),
  mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 2),
});

/** A plain connection per master and a key it serves, for `WAIT` measured without Ripple. */
export async function rawWaitProbes(env: Env): Promise<{ client: RedisClientType; key: string }[]> {
  const out: { client: RedisClientType; key: string }[] = [];
  for (const master of await env.cluster!.masters()) {
    const client = await probe(master.port);
    for (let i = 0; ; i++) {
      const slot = Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', `bench:wait:${i}`]));
      if (master.slots.some(([from, to]) => slot >= from && slot <= to)) {
        out.push({ client, key: `bench:wait:${i}` });
        break;
      }
    }
  }
  return out;
}

/** `INCR key` then `WAIT 1 20` on each master in turn, until `until()` says stop. */
export async function rawWaitLoop(probes: { client: RedisClientType; key: string }[], mode: string, until: (n: number) => boolean): Promise<RawWaitSummary> {
  const ms: number[] = [];
  let timedOut = 0;
  for (let i = 0; !until(i); i++) {
    const { client, key } = probes[i % probes.length]!;
    await client.incr(key);
    const started = performance.now();
    const replicas = Number(await client.sendCommand(['WAIT', '1', '20']));
    ms.push(performance.now() - started);
    if (replicas < 1) timedOut++;
    await delay(2);
  }
  const { p50, p99, max } = summarize(ms);
  return { mode, samples: ms.length, timedOut, p50, p99, max };
}

export async function acceptLatency({ env, ripple, author, watcher, followers }: ExtraContext, posts: number): Promise<LatencyResult> {
  console.log(`\n— accept latency on ${topologyName(env.topology)}: small tweets, ADMISSION_REPLICA_WAIT_MS=20 vs 0 on two server processes, alternating …`);
  const noWait = await spawnServer(env.target, { ADMISSION_REPLICA_WAIT_MS: '0' });
  const probes = await rawWaitProbes(env);
  try {
    const servers: Record<number, string> = { 20: ripple.server.url, 0: noWait.url };
    const authors: Awaited<ReturnType<typeof signUp>>[] = [];
    for (let i = 0; i < LATENCY_AUTHORS; i++) {
      const a = await signUp(ripple.server.url, uniqueHandle(`lat${i}`));
      await addFollowers(ripple.server.url, a.token, LATENCY_FOLLOWERS);
      authors.push(a);
    }
    await settleEnvAof(env);
    const unreplicatedBefore = (await readCounters(env.client))[statsField.unreplicated] ?? 0;
    const samples: LatencySample[] = [];
    let postsWithWait = 0;
    let n = 0;
    const one = async (waitMs: number, mode: string) => {
      const a = authors[n++ % LATENCY_AUTHORS]!;
      const r = await timedPost(servers[waitMs]!, a.token, `latency ${mode} ${waitMs}`);
      if (waitMs === 20) postsWithWait++;
      samples.push({ waitMs, mode, ms: r.ms, status: r.status });
    };
    // Warm both servers' connections and JIT before measuring.
    for (let i = 0; i < 20; i++) await one(i % 2 ? 0 : 20, 'warm-up');
    const idleSeq = 'idle, sequential';
    const idleConc = `idle, ${LATENCY_CONCURRENCY} concurrent`;
    const during = `during ${kShort(followers)} fan-out, seq.`;
    for (let i = 0; i < posts * 2; i++) await one(i % 2 ? 0 : 20, idleSeq);
    await Promise.all(
      Array.from({ length: LATENCY_CONCURRENCY }, async (_, c) => {
        for (let i = 0; i < (posts * 2) / LATENCY_CONCURRENCY; i++) await one((i + c) % 2 ? 0 : 20, idleConc);
      }),
    );
    // While the configuration's author fans out to every follower: the accept latency that users
    // see while a celebrity's tweet is being delivered.
    const duringFanOutMs: number[] = [];
    const underFanOut = async (work: (done: () => boolean) => Promise<void>) => {
      await settleEnvAof(env);
      const started = performance.now();
      const posted = await api<PostTweetResponse>(ripple.server.url, '/api/tweets', { token: author.token, body: { text: 'latency under load' } });
      let finished = false;
      const done = watcher.wait(posted.job.id, 300_000).finally(() => {
        finished = true;
        duringFanOutMs.push(Math.round(performance.now() - started));
      });
      await work(() => finished);
      await done;
    };
    await underFanOut(async (finished) => {
      for (let i = 0; !finished(); i++) await one(i % 2 ? 0 : 20, during);
    });
    const unreplicated = ((await readCounters(env.client))[statsField.unreplicated] ?? 0) - unreplicatedBefore;

    const rawWait: RawWaitSummary[] = [];
    rawWait.push(await rawWaitLoop(probes, 'idle', (i) => i >= posts));
    await underFanOut(async (finished) => {
      rawWait.push(await rawWaitLoop(probes, `during ${kShort(followers)} fan-out`, () => finished()));
    });

    const summary: LatencySummary[] = [];
    for (const mode of [idleSeq, idleConc, during]) {
      for (const waitMs of [20, 0]) {
        const mine = samples.filter((x) => x.mode === mode && x.waitMs === waitMs);
        summary.push({ waitMs, mode, posts: mine.length, non202: mine.filter((x) => x.status !== 202).length, ...summarize(mine.map((x) => x.ms)) });
      }
    }
    for (const x of summary)
      console.log(
        `  ${x.mode.padEnd(28)} WAIT ${String(x.waitMs).padStart(2)} ms: p50 ${x.p50} ms, p90 ${x.p90}, p99 ${x.p99}, max ${x.max} (${x.posts} posts, ${x.non202} not 202)`,
      );
    console.log(`  admissions counted unreplicated: ${unreplicated} of ${postsWithWait} answered with WAIT 20`);
    for (const x of rawWait)
      console.log(`  raw INCR + WAIT 1 20 per master, ${x.mode}: p50 ${x.p50} ms, p99 ${x.p99}, max ${x.max}; ${x.timedOut} of ${x.samples} timed out`);
    return { authors: LATENCY_AUTHORS, followersEach: LATENCY_FOLLOWERS, summary, postsWithWait, unreplicated, rawWait, duringFanOutMs };
  } finally {
    await Promise.allSettled(probes.map((p) => p.client.close()));
    await noWait.stop();
  }
}
