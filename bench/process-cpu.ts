/**
 * CPU time per process, read from /proc, for the cluster bench's profile: which kind of process
 * (redis-server, worker, server, …) spent the CPU of a measured window, and how much of the box
 * went to processes that are not ours (a shared, noisy machine).
 *
 * `/proc/<pid>/stat` fields 14 and 15 (utime, stime) count every thread of the process, in clock
 * ticks (`getconf CLK_TCK`, 100 on Linux). A redis-server's AOF rewrite runs in a forked child,
 * which is a process of its own: children of a watched redis-server are counted as `redis-fork`.
 * `/proc/stat`'s first line is the whole box: busy = user + nice + system + irq + softirq, plus
 * steal (time the hypervisor gave to another guest) reported apart.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in ticks. */
  ticks: number;
}

/** One process's stat line, or undefined when it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may hold spaces; the fields after the last ')' are fixed.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime 15, ppid 4.
  return { pid, ppid: Number(rest[1]), comm, ticks: Number(rest[11]) + Number(rest[12]) };
}

/** Every process on the box (pids readable now). */
function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** Pids of the live children of any of `parents` (e.g. a redis-server's AOF rewrite fork). */
export function childrenOf(parents: readonly number[]): number[] {
  const set = new Set(parents);
  return allProcesses()
    .filter((p) => set.has(p.ppid))
    .map((p) => p.pid);
}

interface BoxTicks {
  busy: number;
  steal: number;
  idle: number;
}

function boxTicks(): BoxTicks {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = first;
  return { busy: user + nice + system + irq + softirq, steal, idle: idle + iowait };
}

/**
 * The processes to watch, by kind: e.g. { 'redis-master': [...], worker: [...], server: [pid] }.
 * A pid must appear under one kind only.
 */
export type WatchedPids = Record<string, readonly number[]>;

export interface CpuWindow {
  wallS: number;
  /**
   * CPU-seconds per kind, plus `redis-fork` (children of the `forkParents`: AOF rewrites),
   * `bench` (this process) and `other` (the rest of the box: processes that are not ours).
   */
  byKind: Record<string, number>;
  /** CPU-seconds per watched pid (label: kind:pid). */
  byProcess: Record<string, number>;
  /** CPU-seconds the whole box was busy (all cores), and stolen by the hypervisor. */
  boxBusyS: number;
  boxStealS: number;
  /** Cores on the box, for reading the numbers: wallS × cores is all there was. */
  cores: number;
}

interface Snapshot {
  at: number;
  box: BoxTicks;
  watched: Map<number, number>;
  /** Children of watched redis-servers (AOF rewrite forks), by pid. */
  forks: Map<number, number>;
  self: number;
}

/**
 * Starts a window: reads every watched process now; `stop()` reads them again and returns the
 * difference. Forks of a redis-server are counted whether they run across the window or start
 * and end inside it: Redis reaps its child with waitpid, which adds the child's whole CPU time
 * to the parent's cutime + cstime (fields 16, 17), read here too; for a child alive at the start
 * and reaped before the end, what it had used before the window is taken off again.
 */
export function startCpuWindow(watched: WatchedPids, options: { cores: number; forkParents: readonly number[] }): { stop(): CpuWindow } {
  const { cores } = options;
  const redisPids = new Set(options.forkParents);
  const take = (): Snapshot => {
    const watchedTicks = new Map<number, number>();
    for (const pids of Object.values(watched)) for (const pid of pids) watchedTicks.set(pid, readProcStat(pid)?.ticks ?? NaN);
    const forks = new Map<number, number>();
    if (redisPids.size > 0) {
      for (const p of allProcesses()) if (redisPids.has(p.ppid)) forks.set(p.pid, p.ticks);
      // Reaped children: their time moves into the parent's cutime + cstime.
      for (const pid of redisPids) forks.set(-pid, reapedChildTicks(pid));
    }
    return { at: performance.now(), box: boxTicks(), watched: watchedTicks, forks, self: readProcStat(process.pid)?.ticks ?? 0 };
  };
  const before = take();
  return {
    stop() {
      const after = take();
      const s = (ticks: number) => ticks / CLK_TCK;
      const byKind: Record<string, number> = {};
      const byProcess: Record<string, number> = {};
      let ours = 0;
      for (const [kind, pids] of Object.entries(watched)) {
        byKind[kind] = 0;
        for (const pid of pids) {
          const d = (after.watched.get(pid) ?? NaN) - (before.watched.get(pid) ?? NaN);
          // A process that died in the window (a SIGKILLed master) counts what we saw of it: nothing.
          const ticks = Number.isFinite(d) ? d : 0;
          byKind[kind] += s(ticks);
          byProcess[`${kind}:${pid}`] = s(ticks);
          ours += ticks;
        }
      }
      let forkTicks = 0;
      for (const [pid, ticks] of after.forks) forkTicks += ticks - (before.forks.get(pid) ?? 0);
      for (const [pid, ticks] of before.forks) if (pid > 0 && !after.forks.has(pid)) forkTicks -= ticks;
      byKind['redis-fork'] = s(forkTicks);
      byKind.bench = s(after.self - before.self);
      ours += forkTicks + (after.self - before.self);
      const busy = after.box.busy - before.box.busy;
      byKind.other = Math.max(0, s(busy - ours));
      for (const k of Object.keys(byKind)) byKind[k] = round2(byKind[k]!);
      for (const k of Object.keys(byProcess)) byProcess[k] = round2(byProcess[k]!);
      return {
        wallS: round2((after.at - before.at) / 1000),
        byKind,
        byProcess,
        boxBusyS: round2(s(busy)),
        boxStealS: round2(s(after.box.steal - before.box.steal)),
        cores,
      };
    },
  };
}

/** cutime + cstime of a process (fields 16, 17): CPU of its children it has waited for. */
function reapedChildTicks(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[13]) + Number(rest[14]);
  } catch {
    return 0;
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Every kind that appears in any of the windows. */
export function kindsOf(windows: readonly CpuWindow[]): string[] {
  return [...new Set(windows.flatMap((w) => Object.keys(w.byKind)))];
}
