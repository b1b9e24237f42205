import { describe, expect, it } from 'vitest';
import { ClientOfflineError, DisconnectsClientError, ErrorReply } from 'redis';
import { isRedisClusterUnavailable, parseClusterNodes } from './redis-cluster-client.js';

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

describe('isRedisClusterUnavailable', () => {
  it('counts a slot without a master, a slot in migration and a dropped node as outages', () => {
    expect(isRedisClusterUnavailable(new ErrorReply('CLUSTERDOWN Hash slot not served'))).toBe(true);
    expect(isRedisClusterUnavailable(new ErrorReply('TRYAGAIN Multiple keys request during rehashing of slot'))).toBe(true);
    expect(isRedisClusterUnavailable(new DisconnectsClientError())).toBe(true);
    expect(isRedisClusterUnavailable(new ClientOfflineError())).toBe(true);
  });

  it('leaves bad commands and script errors to the caller', () => {
    expect(isRedisClusterUnavailable(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
    expect(isRedisClusterUnavailable(new ErrorReply('ERR Script attempted to access a non local key in a cluster node'))).toBe(false);
    expect(isRedisClusterUnavailable(new Error('boom'))).toBe(false);
  });
});
