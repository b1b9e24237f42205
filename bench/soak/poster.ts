import { setMaxListeners } from 'node:events';
import { RippleHttpError, type RippleClient } from '../loadtest/ripple-client.js';
import type { SoakAuthor } from './soak-crowd.js';

/** One tweet the soak meant to post, and what became of it. */
export interface PostRecord {
  author: SoakAuthor;
  /** The Idempotency-Key of every try of this tweet. */
  key: string;
  text: string;
  state: 'sending' | 'accepted' | 'gave-up';
  /** From the 202. */
  tweetId: string | null;
  jobId: string | null;
  /** Why the tries of the last round ended without a 202. */
  error: string | null;
  /** Sent again, with the same key, after its first round of tries gave up (the client's outbox). */
  resent: boolean;
}

export interface PosterCounts {
  sent: number;
  accepted: number;
  sending: number;
  gaveUp: number;
  resent: number;
  /** Every 429/503 answer, retries included, by `<status> <code>`. */
  refusals: Record<string, number>;
}

/**
 * Posts tweets the way the real client does, through the load tester's client: every try of a
 * tweet carries the same Idempotency-Key, 429/503 wait out `Retry-After` (a jittered backoff
 * without one), and lost answers are tried again, up to 8 tries. Posting never waits for an
 * answer, so a slow or dead node cannot slow the schedule down.
 */
export class Poster {
  readonly records: PostRecord[] = [];
  readonly #clientOf: (author: SoakAuthor) => RippleClient;
  readonly #runId: string;
  readonly #signal: AbortSignal;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #nextIndex = new Map<string, number>();
  readonly #refusals: Record<string, number> = {};

  constructor(clientOf: (author: SoakAuthor) => RippleClient, runId: string, signal: AbortSignal) {
    this.#clientOf = clientOf;
    this.#runId = runId;
    this.#signal = signal;
    // Every tweet waiting out a Retry-After listens on this one signal: many at once is the design.
    setMaxListeners(0, signal);
  }

  /** Starts posting `author`'s next tweet and returns its record at once. */
  post(author: SoakAuthor): PostRecord {
    const n = this.#nextIndex.get(author.id) ?? 0;
    this.#nextIndex.set(author.id, n + 1);
    const record: PostRecord = {
      author,
      key: `soak-${this.#runId}-${author.handle}-${n}`,
      text: `soak ${this.#runId}: ${author.handle} #${n}`,
      state: 'sending',
      tweetId: null,
      jobId: null,
      error: null,
      resent: false,
    };
    this.records.push(record);
    this.#send(record);
    return record;
  }

  #send(record: PostRecord): void {
    record.state = 'sending';
    const attempt = this.#clientOf(record.author)
      .postTweet(record.author.token, record.text, {
        idempotencyKey: record.key,
        signal: this.#signal,
        onRefused: (error) => {
          const reason = `${error.status} ${error.code}`;
          this.#refusals[reason] = (this.#refusals[reason] ?? 0) + 1;
        },
      })
      .then(
        ({ tweet, job }) => {
          record.state = 'accepted';
          record.tweetId = tweet.id;
          record.jobId = job.id;
          record.error = null;
        },
        (error: unknown) => {
          record.state = 'gave-up';
          record.error = error instanceof RippleHttpError ? `${error.status} ${error.code}` : error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => this.#inFlight.delete(attempt));
    this.#inFlight.add(attempt);
  }

  /** Resolves when every tweet sent so far has been answered or given up on. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /**
   * Sends every given-up tweet again with its own key, as the real client's outbox does after
   * a reload, and waits for the answers. A tweet admitted on a try whose answer was lost comes
   * back as the same tweet; one never admitted is admitted now. Returns how many were resent.
   */
  async resendGivenUp(): Promise<number> {
    const givenUp = this.records.filter((r) => r.state === 'gave-up');
    for (const record of givenUp) {
      record.resent = true;
      this.#send(record);
    }
    await this.settled();
    return givenUp.length;
  }

  counts(): PosterCounts {
    const counts: PosterCounts = { sent: this.records.length, accepted: 0, sending: 0, gaveUp: 0, resent: 0, refusals: { ...this.#refusals } };
    for (const r of this.records) {
      if (r.state === 'accepted') counts.accepted += 1;
      else if (r.state === 'sending') counts.sending += 1;
      else counts.gaveUp += 1;
      if (r.resent) counts.resent += 1;
    }
    return counts;
  }
}
