import { LatencyRecorder, type LatencySummary } from './latency.js';
import { LatencyBySecond } from './latency-by-second.js';
import type { RefusalStatus } from './ripple-client.js';

/** The four latency measures of one group of authors, each from a tweet's intended send time. */
export interface Measures {
  /** Intended send → 202. */
  accept: LatencyRecorder;
  /** Intended send → first `timeline:new` for the tweet at any online follower. */
  firstDelivery: LatencyRecorder;
  /** Intended send → `timeline:new` at each online follower of the author (tweet × follower). */
  onlineDelivery: LatencyRecorder;
  /** Intended send → `fanout:done` on the author's socket. */
  complete: LatencyRecorder;
}

export type MeasureName = keyof Measures;
/** Measures in the order they happen to a tweet, with the labels the table and plots use. */
export const MEASURES: ReadonlyArray<{ name: MeasureName; label: string; meaning: string }> = [
  { name: 'accept', label: 'accept', meaning: 'intended send → 202' },
  { name: 'firstDelivery', label: 'first delivery', meaning: 'intended send → first timeline:new at any online follower' },
  { name: 'onlineDelivery', label: 'online delivery', meaning: 'intended send → timeline:new at each online follower' },
  { name: 'complete', label: 'complete', meaning: 'intended send → fanout:done' },
];

/** Counters of one group, as the progress line and the report show them. */
export interface TrackerCounts {
  /** Tweets whose first try went out. */
  sent: number;
  /** Tweets answered 202 (after any retries). */
  accepted: number;
  /** 429/503 answers, every one of them, retries included. */
  refused: number;
  /** Tweets given up on while posting, plus jobs that reported `fanout:failed`. */
  failed: number;
  /** Tweets whose `fanout:done` arrived. */
  done: number;
}

/** A tweet on its way: handed out when it is sent, passed back with its outcome. */
export interface TweetTicket {
  readonly intendedAt: number;
  /** The second of the schedule it was due in (0 = the first), for latency by second. */
  readonly second: number;
  /** User ids of the author's online followers: who should see `timeline:new`. */
  readonly audience: ReadonlySet<string>;
}

interface TrackedTweet extends TweetTicket {
  delivered: Set<string>;
  finished: boolean;
}

/** What arrived on sockets for a tweet id whose 202 had not been read yet. */
interface EarlyEvents {
  deliveries: Map<string, number>;
  doneAt?: number;
  failed?: boolean;
}

/**
 * Bookkeeping of one group of tweets from send to `fanout:done`: turns socket events into
 * latency samples. Socket events can overtake the HTTP answer that names their tweet (a small
 * fan-out may finish before the 202 is read), so events for a tweet id not seen yet are held
 * and counted once its 202 arrives.
 */
export class DeliveryTracker {
  readonly measures: Measures = {
    accept: new LatencyRecorder(),
    firstDelivery: new LatencyRecorder(),
    onlineDelivery: new LatencyRecorder(),
    complete: new LatencyRecorder(),
  };
  /**
   * Accept and online delivery again, by the second of the schedule each tweet was due in: a cold
   * start shows in its first seconds. `sendLag` is how late the load tester itself sent each
   * tweet: what of a slow second is its own doing (a starved or busy load generator).
   */
  readonly bySecond = { accept: new LatencyBySecond(), onlineDelivery: new LatencyBySecond(), sendLag: new LatencyBySecond() };
  readonly counts: TrackerCounts = { sent: 0, accepted: 0, refused: 0, failed: 0, done: 0 };
  /** `counts.refused` by status: the remedies differ (more authors for 429, a drained backlog for 503). */
  readonly refusedByStatus: Record<RefusalStatus, number> = { 429: 0, 503: 0 };

  readonly #tweets = new Map<string, TrackedTweet>();
  readonly #early = new Map<string, EarlyEvents>();
  /** Tweets sent and not yet answered 202 or given up on. */
  #posting = 0;
  /** Accepted tweets whose job has neither finished nor failed. */
  #running = 0;
  /** Expected `timeline:new` events not yet seen, over accepted tweets. */
  #awaitingDeliveries = 0;

  /** A tweet's first try is going out at `sentAt`; it was due at `intendedAt`, in `second` of the schedule. */
  sending(intendedAt: number, audience: ReadonlySet<string>, second: number, sentAt: number): TweetTicket {
    this.counts.sent += 1;
    this.#posting += 1;
    this.bySecond.sendLag.record(second, sentAt - intendedAt);
    return { intendedAt, second, audience };
  }

  /** A 429 or 503 answer to some try. */
  refusal(status: RefusalStatus): void {
    this.counts.refused += 1;
    this.refusedByStatus[status] += 1;
  }

  /** The tweet was given up on while posting (tries spent, an error that is final, or aborted). */
  gaveUp(_ticket: TweetTicket): void {
    this.#posting -= 1;
    this.counts.failed += 1;
  }

  /** The tweet was answered 202 at `at`. */
  accepted(ticket: TweetTicket, tweetId: string, at: number): void {
    this.#posting -= 1;
    this.counts.accepted += 1;
    this.#running += 1;
    this.measures.accept.record(at - ticket.intendedAt);
    this.bySecond.accept.record(ticket.second, at - ticket.intendedAt);
    const tweet: TrackedTweet = { ...ticket, delivered: new Set(), finished: false };
    this.#tweets.set(tweetId, tweet);
    this.#awaitingDeliveries += ticket.audience.size;

    const early = this.#early.get(tweetId);
    if (!early) return;
    this.#early.delete(tweetId);
    // Replayed in arrival order, so the earliest delivery is the first one.
    for (const [followerId, deliveredAt] of [...early.deliveries].sort((a, b) => a[1] - b[1])) {
      this.timelineNew(tweetId, followerId, deliveredAt);
    }
    if (early.failed) this.fanoutFailed(tweetId);
    else if (early.doneAt !== undefined) this.fanoutDone(tweetId, early.doneAt);
  }

  #earlyFor(tweetId: string): EarlyEvents {
    let early = this.#early.get(tweetId);
    if (!early) this.#early.set(tweetId, (early = { deliveries: new Map() }));
    return early;
  }

  /** `timeline:new` for `tweetId` arrived at the socket of `followerId` at `at`. */
  timelineNew(tweetId: string, followerId: string, at: number): void {
    const tweet = this.#tweets.get(tweetId);
    if (!tweet) {
      const early = this.#earlyFor(tweetId);
      if (!early.deliveries.has(followerId)) early.deliveries.set(followerId, at);
      return;
    }
    // Only the author's online followers count, and each of them once per tweet.
    if (!tweet.audience.has(followerId) || tweet.delivered.has(followerId)) return;
    tweet.delivered.add(followerId);
    this.#awaitingDeliveries -= 1;
    const latency = at - tweet.intendedAt;
    if (tweet.delivered.size === 1) this.measures.firstDelivery.record(latency);
    this.measures.onlineDelivery.record(latency);
    this.bySecond.onlineDelivery.record(tweet.second, latency);
  }

  /** `fanout:done` for `tweetId` arrived on the author's socket at `at`. */
  fanoutDone(tweetId: string, at: number): void {
    const tweet = this.#tweets.get(tweetId);
    if (!tweet) {
      this.#earlyFor(tweetId).doneAt ??= at;
      return;
    }
    if (tweet.finished) return;
    tweet.finished = true;
    this.#running -= 1;
    this.counts.done += 1;
    this.measures.complete.record(at - tweet.intendedAt);
  }

  /** `fanout:failed` for `tweetId` arrived on the author's socket. */
  fanoutFailed(tweetId: string): void {
    const tweet = this.#tweets.get(tweetId);
    if (!tweet) {
      this.#earlyFor(tweetId).failed = true;
      return;
    }
    if (tweet.finished) return;
    tweet.finished = true;
    this.#running -= 1;
    this.counts.failed += 1;
    // Deliveries that will never come are no longer awaited.
    this.#awaitingDeliveries -= tweet.audience.size - tweet.delivered.size;
  }

  /** Tweets still being posted (in a try or waiting between tries). */
  get posting(): number {
    return this.#posting;
  }

  /** Accepted tweets still waiting for `fanout:done`. */
  get running(): number {
    return this.#running;
  }

  /** `timeline:new` events expected at online followers and not seen yet. */
  get awaitingDeliveries(): number {
    return this.#awaitingDeliveries;
  }

  /** Each measure as `{count, p50, p90, p99, p999, max}` in ms. */
  summaries(): Record<MeasureName, LatencySummary> {
    return {
      accept: this.measures.accept.summary(),
      firstDelivery: this.measures.firstDelivery.summary(),
      onlineDelivery: this.measures.onlineDelivery.summary(),
      complete: this.measures.complete.summary(),
    };
  }
}
