import type { RippleApi } from '../../api/ripple-api';

/**
 * Posts whose accept latency a page keeps: its newest. A journey opened on an older post shows
 * no accept time, and a page left open all day does not grow without bound.
 */
export const KEPT_ACCEPT_LATENCIES = 500;

/** ms from sending each post to its 202, by job id: the journey's first step, which only the page saw. */
export type AcceptLatencies = ReadonlyMap<string, number>;

/**
 * The API with each post timed from sending to its 202 (its retries included), kept by job id.
 * The server's clock says when a tweet was admitted; only the browser knows how long it waited.
 */
export function timingAccepts(api: RippleApi): { api: RippleApi; latencies: AcceptLatencies } {
  const latencies = new Map<string, number>();
  return {
    latencies,
    api: {
      ...api,
      postTweet: async (...args) => {
        const sentAt = performance.now();
        const answer = await api.postTweet(...args);
        latencies.set(answer.job.id, Math.round(performance.now() - sentAt));
        // A Map iterates in insertion order: the first key is the oldest post.
        if (latencies.size > KEPT_ACCEPT_LATENCIES) latencies.delete(latencies.keys().next().value!);
        return answer;
      },
    },
  };
}
