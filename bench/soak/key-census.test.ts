import { describe, expect, it } from 'vitest';
import { CLUSTER_BUCKETS, keys, keysFor, layoutOf, SINGLE_REDIS_BUCKETS } from '@ripple/shared';
import { classifyKey } from './key-census.js';

const single = layoutOf(SINGLE_REDIS_BUCKETS);
const cluster = layoutOf(CLUSTER_BUCKETS);
const k = keysFor(single);

describe('classifyKey', () => {
  it('knows which kinds of key must expire', () => {
    expect(classifyKey(k.job('42'), single)).toEqual({ kind: 'job', ttl: 'must-expire' });
    expect(classifyKey(k.cursor(0, '42'), single)).toEqual({ kind: 'cursor', ttl: 'must-expire' });
    expect(classifyKey(k.idempotency('7', 'k-1'), single)).toEqual({ kind: 'idempotency', ttl: 'must-expire' });
    expect(classifyKey(k.rateLimit('tweets', '7', 123), single)).toEqual({ kind: 'rate-limit', ttl: 'must-expire' });
    expect(classifyKey(k.agreedSettings, single)).toEqual({ kind: 'agreed-settings', ttl: 'must-expire' });
    expect(classifyKey(k.rebuildPending('7'), single)).toEqual({ kind: 'rebuild-pending', ttl: 'must-expire' });
  });

  it("tells a tweet from a user's tweets, followers from their version, and single keys from families", () => {
    expect(classifyKey(k.tweet(5), single)).toEqual({ kind: 'tweet', ttl: 'kept' });
    expect(classifyKey(k.userTweets('5'), single)).toEqual({ kind: 'user-tweets', ttl: 'kept' });
    expect(classifyKey(k.followers(0, '5'), single)).toEqual({ kind: 'followers', ttl: 'kept' });
    expect(classifyKey(k.followersVersion(0, '5'), single)).toEqual({ kind: 'followers-v', ttl: 'kept' });
    expect(classifyKey(k.audience('5'), single)).toEqual({ kind: 'audience', ttl: 'kept' });
    expect(classifyKey(k.stats(0), single)).toEqual({ kind: 'stats', ttl: 'kept' });
    expect(classifyKey(k.fanoutDurations(0), single)).toEqual({ kind: 'fanout-durations', ttl: 'kept' });
    expect(classifyKey(k.recentDurations(0), single)).toEqual({ kind: 'recent-durations', ttl: 'kept' });
    expect(classifyKey(k.fanoutLanes(0).bulk, single)).toEqual({ kind: 'lane:bulk', ttl: 'kept' });
    expect(classifyKey(k.userSeq, single)).toEqual({ kind: 'seq:user', ttl: 'kept' });
    expect(classifyKey(k.tweetSeq(0), single)).toEqual({ kind: 'seq:tweet', ttl: 'kept' });
    expect(classifyKey(k.jobSeq(0), single)).toEqual({ kind: 'seq:job', ttl: 'kept' });
  });

  it('has a kind for every key keys.ts builds, in every bucket of a cluster', () => {
    const { fanoutGroup, ...all } = keys;
    expect(fanoutGroup).not.toMatch(/^ripple:/); // a consumer group's name, not a key
    for (const b of [0, 1, CLUSTER_BUCKETS - 1]) {
      for (const [name, build] of Object.entries(all)) {
        const built = typeof build === 'string' ? build : (build as (...args: unknown[]) => string | Record<string, string>)(b, '7', 'k-1');
        for (const key of typeof built === 'string' ? [built] : Object.values(built)) {
          expect(classifyKey(key, cluster), `keys.${name} (${key})`).not.toBeNull();
        }
      }
    }
  });

  it('classifies a single key per bucket exactly, not as a family', () => {
    expect(classifyKey(`${k.stats(0)}:extra`, single)).toBeNull();
    expect(classifyKey(keys.eventsStream(3), cluster)).toEqual({ kind: 'events', ttl: 'kept' });
  });

  it('owns up to a key no module spells, or one in a bucket the layout does not have', () => {
    expect(classifyKey('ripple:something-new', single)).toBeNull();
    expect(classifyKey('other-app:key', single)).toBeNull();
    // The layout of before buckets: nothing reads these any more.
    expect(classifyKey('ripple:stats', single)).toBeNull();
    expect(classifyKey('ripple:job:42', single)).toBeNull();
    expect(classifyKey(keys.job(1, '42'), single)).toBeNull();
    expect(classifyKey(keys.job(1, '42'), cluster)).toEqual({ kind: 'job', ttl: 'must-expire' });
    expect(classifyKey(keys.stats(CLUSTER_BUCKETS), cluster)).toBeNull();
  });
});
