/**
 * Forming a test cluster and reading its state: slot assignment, replicas, and the health
 * check the kill tests wait on. The processes themselves are redis-cluster.ts's.
 */
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ask, fields } from '../../scripts/local-cluster.js';

export const HOST = '127.0.0.1';
const SLOTS = 16384;

/** A master as the cluster sees it now. */
export interface TestClusterMaster {
  port: number;
  id: string;
  /** Inclusive slot ranges it serves. */
  slots: [from: number, to: number][];
  /** Ports of the replicas attached to it that are not marked failed. */
  replicas: number[];
}

/** The documented way to form a cluster. It refuses fewer than 3 masters, hence `createByHand`. */
export async function createWithRedisCli(ports: number[], replicas: number): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'];
  try {
    await promisify(execFile)('redis-cli', args, { timeout: 30_000 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster create failed: ${String(err)}\n${stdout}${stderr}`, { cause: err });
  }
}

/**
 * What `redis-cli --cluster create` does, for 1 or 2 masters: split the slots, introduce every
 * node to the first, then attach replicas to the masters in turn once they know them.
 */
export async function createByHand(ports: number[], masterCount: number, nodeTimeoutMs: number): Promise<void> {
  const masterPorts = ports.slice(0, masterCount);
  for (let i = 0; i < masterCount; i++) {
    const from = Math.floor((i * SLOTS) / masterCount);
    const to = Math.floor(((i + 1) * SLOTS) / masterCount) - 1;
    await ask(masterPorts[i]!, ['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)]);
    // Distinct epochs, as redis-cli sets them, so no two masters start with the same claim.
    await ask(masterPorts[i]!, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
  }
  for (const port of ports.slice(1)) await ask(port, ['CLUSTER', 'MEET', HOST, String(ports[0])]);
  const replicaPorts = ports.slice(masterCount);
  if (replicaPorts.length === 0) return;
  const ids = await Promise.all(masterPorts.map((p) => ask(p, ['CLUSTER', 'MYID'])));
  const deadline = Date.now() + 10 * nodeTimeoutMs + 10_000;
  for (const [i, port] of replicaPorts.entries()) {
    const masterId = ids[i % masterCount]!;
    // CLUSTER REPLICATE fails until gossip has told this node about its master.
    for (;;) {
      try {
        await ask(port, ['CLUSTER', 'REPLICATE', masterId]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await delay(100);
      }
    }
  }
}

export async function waitForHealthy(ports: number[], masterCount: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = 'not checked yet';
  while (Date.now() < deadline) {
    why = await unhealthyBecause(ports, masterCount).catch((err: unknown) => `a node did not answer: ${String(err)}`);
    if (!why) return;
    await delay(100);
  }
  throw new Error(`cluster not healthy after ${timeoutMs} ms: ${why}`);
}

/** Empty when healthy, else the first reason it is not. */
async function unhealthyBecause(ports: number[], masterCount: number): Promise<string> {
  let layout: string | undefined;
  for (const port of ports) {
    const info = fields(await ask(port, ['CLUSTER', 'INFO']));
    if (info.cluster_state !== 'ok') return `node ${port} says cluster_state:${info.cluster_state}`;
    // With full coverage not required, cluster_state stays ok while slots lack a master.
    if (info.cluster_slots_ok !== String(SLOTS)) return `node ${port} sees ${info.cluster_slots_ok} of ${SLOTS} slots ok`;
    const view = parseClusterNodes(await ask(port, ['CLUSTER', 'NODES']));
    const me = view.find((n) => n.flags.includes('myself'))!;
    const servedBy = mastersFrom(view)
      .map((m) => `${m.port}:${m.slots.map((r) => r.join('-')).join(',')}`)
      .sort()
      .join(' ');
    if (mastersFrom(view).length !== masterCount) return `node ${port} sees masters ${servedBy}`;
    // Right after a kill nobody has noticed yet: the dead master still looks fine to everyone.
    const gone = mastersFrom(view).find((m) => !ports.includes(m.port));
    if (gone) return `node ${port} still counts on master ${gone.port}, which is down`;
    if (layout !== undefined && layout !== servedBy) return `nodes disagree on slot owners: ${layout} vs ${servedBy}`;
    layout = servedBy;
    if (me.flags.includes('slave')) {
      const replication = fields(await ask(port, ['INFO', 'replication']));
      if (replication.master_link_status !== 'up') return `replica ${port} has its master link ${replication.master_link_status}`;
    }
  }
  return '';
}

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: [number, number][];
}

/** Parses CLUSTER NODES: `<id> <ip:port@bus> <flags> <master|-> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':').pop()),
        flags: flags!.split(','),
        masterId: masterId!,
        // Entries like `[5461->-<id>]` are slots in migration, not owned ranges.
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-').map(Number);
            return [from!, to ?? from!] as [number, number];
          }),
      };
    });
}

export function mastersFrom(view: ClusterNodeLine[]): TestClusterMaster[] {
  const failing = (n: ClusterNodeLine) => n.flags.includes('fail') || n.flags.includes('fail?');
  return view
    .filter((n) => n.flags.includes('master') && !failing(n) && n.slots.length > 0)
    .map((m) => ({
      port: m.port,
      id: m.id,
      slots: m.slots,
      replicas: view.filter((r) => r.masterId === m.id && !failing(r)).map((r) => r.port),
    }))
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
}
