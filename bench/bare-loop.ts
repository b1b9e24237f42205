/**
 * The bare in-Redis loop: the least work a fan-out can be, as the yardstick for Ripple's
 * deliveries/s (CLARIFICATIONS.md, "Fan-out throughput goals"). One Lua script per 1 000
 * followers reads the next ids from a sorted set by score itself and does `LPUSH` onto each one's
 * timeline key plus the lazy trim Ripple does (`LTRIM` once a list passes TIMELINE_MAX + 1/8):
 * no cursor record, no counters, no events, no round trip per follower.
 *
 * `startBareLoops(P, N, …)` starts P fresh redis-servers (append-only file on, as Ripple's Redis
 * runs) and gives each N / P of the N ids, so P processes at once do the same total work as one
 * process alone, like a fan-out spread over P masters. A pass runs every process's loop at once,
 * each driven by one sequential caller in this process (one script call per 1 000 ids, so the
 * caller's cost is negligible), and ends when the slowest process is done. The first pass
 * creates the timeline keys; later passes push onto keys that exist.
 *
 * `mode: 'cluster'` makes the P processes the masters of a Redis Cluster (no replicas), each
 * looping over keys of one hash tag it serves: the same work with what cluster mode adds to it
 * (slot bookkeeping, and the per-call slot check that a `#!lua` script gets, as Ripple's do).
 * Scripts carry `#!lua` in both modes, like Ripple's; on a plain Redis it changes nothing.
 */
import { createClient, type RedisClientType } from 'redis';
import { timelineTrimAt } from '@ripple/shared';
import { startRedisCluster, type TestRedisCluster } from '../test/support/redis-cluster.js';
import { startRedis, type TestRedis } from '../test/support/redis-server.js';
import { freshAof, settleAof } from './aof-rewrite.js';
import { stopRedisProcesses } from './redis-teardown.js';

/** Followers per script call, as Ripple's default FANOUT_PAGE_SIZE. */
export const BARE_PAGE = 1000;

const LOOP_SCRIPT = `#!lua
local page = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[1], '+inf', 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]), 'WITHSCORES')
local keep, trimAt = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, #page, 2 do
  local length = redis.call('LPUSH', ARGV[3] .. page[i], ARGV[4])
  if length > trimAt then
    redis.call('LTRIM', ARGV[3] .. page[i], 0, keep - 1)
  end
end
if #page == 0 then return {0, ARGV[1]} end
return {#page / 2, page[#page]}
`;

/** Takes back what a pass pushed: the value, from the head of each list that starts with it. */
const TAKE_BACK_SCRIPT = `#!lua
local page = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[1], '+inf', 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]), 'WITHSCORES')
for i = 1, #page, 2 do
  if redis.call('LINDEX', ARGV[3] .. page[i], 0) == ARGV[4] then
    redis.call('LPOP', ARGV[3] .. page[i])
  end
end
if #page == 0 then return {0, ARGV[1]} end
return {#page / 2, page[#page]}
`;

/** What a pass needs: the ids (a sorted set scored from 1 up), where their lists are, what to push. */
export interface BareTarget {
  followersKey: string;
  timelinePrefix: string;
  value: string;
  timelineMax: number;
}

interface CommandSender {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Loads the loop script into a Redis; the SHA to pass to `bareLoopPass`. */
export async function loadBareLoop(client: CommandSender): Promise<string> {
  return String(await client.sendCommand(['SCRIPT', 'LOAD', LOOP_SCRIPT]));
}

async function pageThrough(client: CommandSender, script: string[], target: BareTarget): Promise<{ ms: number; pushed: number }> {
  const started = performance.now();
  const trimAt = String(timelineTrimAt(target.timelineMax));
  let cursor = '0';
  let pushed = 0;
  for (;;) {
    const [n, last] = (await client.sendCommand([
      ...script,
      '1',
      target.followersKey,
      cursor,
      String(BARE_PAGE),
      target.timelinePrefix,
      target.value,
      String(target.timelineMax),
      trimAt,
    ])) as [number, string];
    pushed += Number(n);
    cursor = String(last);
    if (Number(n) < BARE_PAGE) break;
  }
  return { ms: performance.now() - started, pushed };
}

/**
 * One pass of the bare loop over every id in `target.followersKey`, one script call per
 * BARE_PAGE ids, from one sequential caller. `sha` is from `loadBareLoop`.
 */
export function bareLoopPass(client: CommandSender, sha: string, target: BareTarget): Promise<{ ms: number; pushed: number }> {
  return pageThrough(client, ['EVALSHA', sha], target);
}

/**
 * Undoes a pass on Ripple's own timelines, so a bench can measure on them: pops the pass's
 * value from each list it heads. A list the pass trimmed stays shorter by what the trim cut,
 * which never happens to the empty or TIMELINE_MAX-long timelines the bench uses.
 */
export async function takeBackBarePass(client: CommandSender, target: BareTarget): Promise<void> {
  await pageThrough(client, ['EVAL', TAKE_BACK_SCRIPT], target);
}

/** Adds ids first, first + step, … (count of them) with scores 1, 2, …, in slices. */
const LOAD_SCRIPT = `
local first, step, count, from = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local args = {}
for i = 0, count - 1 do
  args[#args + 1] = from + i
  args[#args + 1] = first + (from - 1 + i) * step
  if #args == 4000 or i == count - 1 then
    redis.call('ZADD', KEYS[1], unpack(args))
    args = {}
  end
end
return redis.call('ZCARD', KEYS[1])
`;

/** Keys as long as Ripple's, all under one hash tag per process. */
const followersKey = (tag: string) => `ripple:bare-followers:${tag}`;
const timelinePrefix = (tag: string) => `ripple:timeline:${tag}:`;

export interface BarePass {
  /** Until the slowest process was done. */
  wallMs: number;
  /** Each process's own loop time. */
  perProcessMs: number[];
  /** Ids pushed in all (the sum over processes). */
  pushed: number;
  /** pushed / wall time. */
  perSecond: number;
}

export type BareMode = 'plain' | 'cluster';

export interface BareLoops {
  readonly mode: BareMode;
  readonly processes: number;
  readonly ports: number[];
  /** redis-server pids, for the CPU profile. */
  readonly pids: number[];
  /** One pass over every process's ids at once; `value` is the entry pushed (a tweet id). */
  pass(value: string): Promise<BarePass>;
  /** Rewrites every process's append-only file and waits for it, before a measured pass (bench/aof-rewrite.ts). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBareLoops(processes: number, totalIds: number, timelineMax: number, mode: BareMode = 'plain'): Promise<BareLoops> {
  const servers: TestRedis[] = [];
  let cluster: TestRedisCluster | undefined;
  const clients: RedisClientType[] = [];
  /** The hash tag each process's keys carry: one that process serves, on a cluster. */
  const tags: string[] = [];
  let ports: number[];
  let pids: number[] = [];
  const stopAll = async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await stopRedisProcesses(
      async () => {
        const stopped = await Promise.allSettled(servers.map((s) => s.stop()));
        await cluster?.stop();
        const failed = stopped.find((x) => x.status === 'rejected');
        if (failed) throw failed.reason;
      },
      pids,
      [...servers.map((s) => s.dir), ...(cluster ? [cluster.dir] : [])],
    );
  };
  try {
    if (mode === 'plain') {
      for (let p = 0; p < processes; p++) servers.push(await startRedis({ appendOnly: true }));
      ports = servers.map((s) => s.port);
    } else {
      cluster = await startRedisCluster({ masters: processes, replicasPerMaster: 0 });
      ports = (await cluster.masters()).map((m) => m.port);
    }
    for (const port of ports) {
      const client = createClient({ socket: { host: '127.0.0.1', port } }) as RedisClientType;
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
    }
    if (mode === 'plain') tags.push(...clients.map(() => '{b0}'));
    else {
      const masters = await cluster!.masters();
      for (const [p, port] of ports.entries()) {
        const slots = masters.find((m) => m.port === port)!.slots;
        for (let i = 0; ; i++) {
          const slot = Number(await clients[p]!.sendCommand(['CLUSTER', 'KEYSLOT', `{b${i}}`]));
          if (slots.some(([from, to]) => slot >= from && slot <= to)) {
            tags.push(`{b${i}}`);
            break;
          }
        }
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  pids = await Promise.all(clients.map(async (c) => Number(/process_id:(\d+)/.exec(await c.info('server'))?.[1])));
  // Process p holds ids p+1, p+1+P, …: N/P each (one more for the first N mod P).
  const counts = clients.map((_, p) => Math.floor(totalIds / processes) + (p < totalIds % processes ? 1 : 0));
  await Promise.all(
    clients.map(async (client, p) => {
      for (let from = 1; from <= counts[p]!; from += 50_000) {
        const count = Math.min(50_000, counts[p]! - from + 1);
        await client.sendCommand(['EVAL', LOAD_SCRIPT, '1', followersKey(tags[p]!), String(p + 1), String(processes), String(count), String(from)]);
      }
    }),
  );
  const shas = await Promise.all(clients.map(loadBareLoop));

  const loop = async (p: number, value: string) =>
    bareLoopPass(clients[p]!, shas[p]!, { followersKey: followersKey(tags[p]!), timelinePrefix: timelinePrefix(tags[p]!), value, timelineMax });

  const settle = () => freshAof(clients);

  return {
    mode,
    processes,
    ports,
    pids,
    async pass(value) {
      const started = performance.now();
      const results = await Promise.all(clients.map((_, p) => loop(p, value)));
      const wallMs = performance.now() - started;
      const pushed = results.reduce((sum, r) => sum + r.pushed, 0);
      return { wallMs: Math.round(wallMs), perProcessMs: results.map((r) => Math.round(r.ms)), pushed, perSecond: Math.round(pushed / (wallMs / 1000)) };
    },
    settle,
    async stop() {
      await settleAof(clients);
      await stopAll();
    },
  };
}
