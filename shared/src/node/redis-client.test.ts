import { describe, expect, it } from 'vitest';
import { ErrorReply } from 'redis';
import { isRedisUnavailable } from './redis-client.js';

describe('isRedisUnavailable', () => {
  it('counts a write refused for memory as an outage (503, retried without an attempt), as a script reports it too', () => {
    expect(isRedisUnavailable(new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    expect(isRedisUnavailable(new ErrorReply("OOM command not allowed when used memory > 'maxmemory'. script: 24989ef6, on @user_script:1."))).toBe(true);
  });

  it('does not count a bad command as an outage', () => {
    expect(isRedisUnavailable(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable(new ErrorReply('ERR Error running script: OOMish'))).toBe(false);
  });
});
