/**
 * `npm run cluster`: `npm start` against a local Redis Cluster of 3 masters and 3 replicas
 * (scripts/local-cluster.ts, data under .data/cluster/) instead of one Redis. The server and
 * workers get REDIS_CLUSTER_NODES naming all six nodes, and REDIS_PASSWORD: every node requires
 * the password generated once into .data/redis-password (and gives it to its master, as a
 * replica). A second run while one is running uses the same nodes; Ctrl-C stops the server, the
 * workers and the nodes this run started.
 *
 * RIPPLE_CLUSTER_PORTS=7001,7002,7003,7004,7005,7006 (the default) moves the nodes: six ports,
 * the first three masters; each node also needs its port + 10000 free for the cluster bus.
 */
import path from 'node:path';
import { localSecret, privateDataDir, REDIS_PASSWORD_FILE } from '@ripple/shared/node';
import { DEFAULT_CLUSTER_PORTS, startLocalCluster } from './local-cluster.js';
import { fail, root, runStack, say } from './run-stack.js';

const MAX_DATA_PORT = 65_535 - 10_000;

function clusterPorts(): number[] {
  const setting = process.env.RIPPLE_CLUSTER_PORTS;
  if (!setting) return [...DEFAULT_CLUSTER_PORTS];
  const ports = setting.split(',').map((p) => (/^\s*\d+\s*$/.test(p) ? Number(p) : NaN));
  if (ports.length !== 6 || new Set(ports).size !== 6 || !ports.every((p) => p >= 1 && p <= MAX_DATA_PORT)) {
    fail(`RIPPLE_CLUSTER_PORTS must be six different ports from 1 to ${MAX_DATA_PORT}, separated by commas, got "${setting}"`);
  }
  return ports;
}

const ports = clusterPorts();

await runStack(async () => {
  // The same generated password as npm start's Redis; REDIS_CLUSTER_NODES has no room for one.
  const password = localSecret(REDIS_PASSWORD_FILE, privateDataDir());
  const cluster = await startLocalCluster({ ports, dataDir: path.join(root, '.data/cluster'), log: say, password }).catch((err: unknown) =>
    fail(err instanceof Error ? err.message : String(err)),
  );
  return {
    env: { REDIS_CLUSTER_NODES: cluster.seedNodes.join(','), REDIS_PASSWORD: password },
    label: `Redis Cluster on ports ${ports.join(',')}`,
    stop: cluster.stop,
  };
});
