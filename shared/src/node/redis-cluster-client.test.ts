import { describe, expect, it } from 'vitest';
import { ClientOfflineError, DisconnectsClientError, ErrorReply } from 'redis';
import { isRedisUnavailable } from './redis-client.js';
import { parseClusterNodes } from './redis-cluster-client.js';

describe('parseClusterNodes', () => {
  it('reads comma-separated host:port seed nodes, spaces and IPv6 brackets allowed', () => {
    expect(parseClusterNodes('127.0.0.1:7000, redis-b:7001,[::1]:7002')).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['', ' , ', '127.0.0.1', '127.0.0.1:0', 'host:70000', 'redis://host:7000', 'host:7000,'])('refuses %j, naming it', (list) => {
    expect(() => parseClusterNodes(list)).toThrow(/REDIS_CLUSTER_NODES/);
  });
});

describe('isRedisUnavailable on a cluster', () => {
  it('counts a slot without a master, a slot in migration and a dropped node as outages', () => {
    expect(isRedisUnavailable(new ErrorReply('CLUSTERDOWN Hash slot not served'))).toBe(true);
    expect(isRedisUnavailable(new ErrorReply('TRYAGAIN Multiple keys request during rehashing of slot'))).toBe(true);
    expect(isRedisUnavailable(new DisconnectsClientError())).toBe(true);
    expect(isRedisUnavailable(new ClientOfflineError())).toBe(true);
  });

  it('leaves bad commands and script errors to the caller', () => {
    expect(isRedisUnavailable(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
    expect(isRedisUnavailable(new ErrorReply('ERR Script attempted to access a non local key in a cluster node'))).toBe(false);
    expect(isRedisUnavailable(new Error('boom'))).toBe(false);
  });
});
