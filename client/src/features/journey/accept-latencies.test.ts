import { describe, expect, it } from 'vitest';
import type { PostTweetResponse } from '@ripple/shared';
import type { RippleApi } from '../../api/ripple-api';
import { KEPT_ACCEPT_LATENCIES, timingAccepts } from './accept-latencies';

/** An API whose posts answer with job ids 1, 2, … and do nothing else. */
function countingApi(): RippleApi {
  let next = 0;
  return {
    postTweet: () => Promise.resolve({ job: { id: String(++next) } } as PostTweetResponse),
  } as unknown as RippleApi;
}

describe('timingAccepts', () => {
  it("keeps each post's accept time by its job id, for the newest posts only", async () => {
    const { api, latencies } = timingAccepts(countingApi());
    await api.postTweet('first', 'k1');
    expect(latencies.get('1')).toEqual(expect.any(Number));

    for (let i = 1; i <= KEPT_ACCEPT_LATENCIES; i++) await api.postTweet('more', `k${i + 1}`);
    expect(latencies.size).toBe(KEPT_ACCEPT_LATENCIES);
    expect(latencies.has('1')).toBe(false);
    expect(latencies.has(String(KEPT_ACCEPT_LATENCIES + 1))).toBe(true);
  });
});
