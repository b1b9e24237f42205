import { describe, expect, it } from 'vitest';
import { keys } from '@ripple/shared';
import { classifyKey } from './key-census.js';

describe('classifyKey', () => {
  it('knows which kinds of key must expire', () => {
    expect(classifyKey(keys.job('42'))).toEqual({ kind: 'job', ttl: 'must-expire' });
    expect(classifyKey(keys.idempotency('7', 'k-1'))).toEqual({ kind: 'idempotency', ttl: 'must-expire' });
    expect(classifyKey(keys.rateLimit('tweets', '7', 123))).toEqual({ kind: 'rate-limit', ttl: 'must-expire' });
  });

  it('tells a tweet from a user\'s tweets, and exact keys from families', () => {
    expect(classifyKey(keys.tweet(5))).toEqual({ kind: 'tweet', ttl: 'kept' });
    expect(classifyKey(keys.userTweets('5'))).toEqual({ kind: 'user-tweets', ttl: 'kept' });
    expect(classifyKey(keys.stats)).toEqual({ kind: 'stats', ttl: 'kept' });
    expect(classifyKey(keys.fanoutDurations)).toEqual({ kind: 'fanout-durations', ttl: 'kept' });
    expect(classifyKey(keys.fanoutLanes.bulk)).toEqual({ kind: 'lane:bulk', ttl: 'kept' });
  });

  it('owns up to a key no module spells', () => {
    expect(classifyKey('ripple:something-new')).toBeNull();
    expect(classifyKey('other-app:key')).toBeNull();
  });
});
