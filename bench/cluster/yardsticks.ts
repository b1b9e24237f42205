/**
 * What the box allows, measured in the same run: the bare in-Redis loop on 1 Redis and on 3 at
 * once (plain and cluster-mode), and redis-benchmark's ZADD.
 */
import { cpus } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedis } from '../../test/support/redis-server.js';
import { BARE_PAGE, startBareLoops, type BareLoops, type BareMode, type BarePass } from '../bare-loop.js';
import { startCpuWindow, type CpuWindow } from '../process-cpu.js';
import { oneSetZaddPerSecond } from '../redis-yardstick.js';
import { median, round, fmt, type Spread, spread } from './measure-math.js';
import { TIMELINE_MAX } from './bench-env.js';

export type BareSetName = 'plain 1' | 'plain 3' | 'cluster 1' | 'cluster 3';
export const BARE_SETS: { name: BareSetName; processes: number; mode: BareMode }[] = [
  { name: 'plain 1', processes: 1, mode: 'plain' },
  { name: 'plain 3', processes: 3, mode: 'plain' },
  { name: 'cluster 1', processes: 1, mode: 'cluster' },
  { name: 'cluster 3', processes: 3, mode: 'cluster' },
];

export interface BareSetResult {
  newKeys: BarePass;
  existingKeys: BarePass[];
  existingPerSecond: Spread;
  /** Medians over the warm passes: CPU-seconds of the redis-servers, of the rest of the box, wall s. */
  cpu: { redisS: number; otherS: number; wallS: number; perProcessS: number[] };
}

export interface BareResult {
  followers: number;
  page: number;
  sets: Record<string, BareSetResult>;
  /** 3 processes at once ÷ 1 process, existing keys (medians) and new keys, plain and cluster-mode. */
  ratios: { plainExisting: number; plainNew: number; clusterExisting: number; clusterNew: number };
}

export async function bareLoopYardstick(followers: number, runs: number): Promise<BareResult> {
  console.log(
    `\n— bare loop: one Lua call per ${BARE_PAGE} ids (ZRANGE BYSCORE + LPUSH + lazy LTRIM), ${fmt(followers)} ids on 1 Redis and split over 3 at once; ` +
      'plain redis-servers and cluster-mode masters …',
  );
  const sets = new Map<BareSetName, BareLoops>();
  try {
    for (const set of BARE_SETS) sets.set(set.name, await startBareLoops(set.processes, followers, TIMELINE_MAX, set.mode));
    const passes = new Map<BareSetName, { pass: BarePass; cpu: CpuWindow; pids: number[] }[]>(BARE_SETS.map((x) => [x.name, []]));
    let value = 9_000_000_000_000;
    // Set after set within each pass, so that the box's drift hits every set alike.
    for (let pass = 0; pass <= runs; pass++) {
      for (const [name, set] of sets) {
        await set.settle();
        await delay(200);
        const window = startCpuWindow({ redis: set.pids }, { cores: cpus().length, forkParents: set.pids });
        const result = await set.pass(String(value++));
        const cpu = window.stop();
        passes.get(name)!.push({ pass: result, cpu, pids: set.pids });
        console.log(
          `  ${name.padEnd(9)} ${pass === 0 ? 'new keys     ' : 'existing keys'}: ${fmt(result.perSecond).padStart(9)} LPUSH/s (${result.perProcessMs.join(', ')} ms); ` +
            `CPU-s redis ${(cpu.byKind.redis ?? 0).toFixed(2)}, redis-fork ${(cpu.byKind['redis-fork'] ?? 0).toFixed(2)}, other ${(cpu.byKind.other ?? 0).toFixed(2)}`,
        );
      }
    }
    const out: Record<string, BareSetResult> = {};
    for (const [name, list] of passes) {
      const warm = list.slice(1);
      out[name] = {
        newKeys: list[0]!.pass,
        existingKeys: warm.map((w) => w.pass),
        existingPerSecond: spread(warm.map((w) => w.pass.perSecond)),
        cpu: {
          redisS: round(median(warm.map((w) => w.cpu.byKind.redis ?? 0)), 2),
          otherS: round(median(warm.map((w) => w.cpu.byKind.other ?? 0)), 2),
          wallS: round(median(warm.map((w) => w.cpu.wallS)), 2),
          perProcessS: warm[0]!.pids.map((pid) => round(median(warm.map((w) => w.cpu.byProcess[`redis:${pid}`] ?? 0)), 2)),
        },
      };
    }
    const ratio = (a: BareSetName, b: BareSetName, which: 'new' | 'existing') =>
      round(which === 'new' ? out[a]!.newKeys.perSecond / out[b]!.newKeys.perSecond : out[a]!.existingPerSecond.median / out[b]!.existingPerSecond.median, 2);
    return {
      followers,
      page: BARE_PAGE,
      sets: out,
      ratios: {
        plainExisting: ratio('plain 3', 'plain 1', 'existing'),
        plainNew: ratio('plain 3', 'plain 1', 'new'),
        clusterExisting: ratio('cluster 3', 'cluster 1', 'existing'),
        clusterNew: ratio('cluster 3', 'cluster 1', 'new'),
      },
    };
  } finally {
    for (const set of sets.values()) await set.stop();
  }
}

export const ZADD_COMMAND = 'redis-benchmark -t zadd -P 128 -r 1000000 -n 1000000 -q';
export async function zaddYardstick(): Promise<number> {
  const redis = await startRedis({ appendOnly: true });
  try {
    return oneSetZaddPerSecond(redis.port, 1_000_000).opsPerSecond;
  } finally {
    await redis.stop();
  }
}
