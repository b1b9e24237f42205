import { z } from 'zod';
import {
  abortableSleep,
  authResponseSchema,
  jobSchema,
  postTweetResponseSchema,
  tweetPageSchema,
  userSchema,
  type AuthResponse,
  type Job,
  type PostTweetResponse,
  type TweetPage,
  type User,
} from '@ripple/shared';
import { nodeHttpFetch } from './http-transport.js';
import { requestOnce, type FetchFn, type RequestSpec } from './request-once.js';
import { isRefusal, isRetryable, RippleHttpError, RippleNetworkError, RippleUnreachableError, type RippleRefusal } from './ripple-errors.js';
import { backoffDelayMs, DEFAULT_MAX_TRIES, type RetryPolicy } from './retry-policy.js';

// What the load tester and the soak import from here, wherever it is defined.
export * from './ripple-errors.js';
export * from './retry-policy.js';
export type { FetchFn, HttpAnswer } from './request-once.js';

export interface RippleClientOptions {
  /** Origin of the Ripple, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** @defaultValue {@link nodeHttpFetch} */
  fetch?: FetchFn;
  /**
   * Waits `ms`; rejects with the signal's reason when it aborts first.
   * @defaultValue {@link abortableSleep} on the global timers
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * A number in [0, 1) for backoff jitter; tests pass a fixed one.
   * @defaultValue `Math.random`
   */
  random?: () => number;
  /**
   * A try with no answer after this long is abandoned and counts as a network error.
   * @defaultValue 30_000
   */
  timeoutMs?: number;
}

export interface PostTweetOptions extends RetryPolicy {
  /** Sent with every try, unchanged, so that a retry can never create a second tweet. */
  idempotencyKey: string;
  /** Aborting gives up on the tweet, whatever try or wait it is in. */
  signal?: AbortSignal;
  /** Told of every refusal (429 or 503), the one that ends the retries included. */
  onRefused?: (error: RippleRefusal) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

const healthSchema = z.object({ status: z.string(), redis: z.string().optional(), backlog: z.number().nullable() });
export type Health = z.infer<typeof healthSchema>;

/** The `ripple_deliveries_total` counter from Prometheus text, or null when it is absent. */
export function parseDeliveriesTotal(prometheusText: string): number | null {
  const match = /^ripple_deliveries_total(?:\{[^}]*\})?\s+(\S+)/m.exec(prometheusText);
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

/** `?limit=…&before=…` for the paged reads, or nothing. */
function pageQuery(page: { limit?: number; before?: string }): string {
  const params = new URLSearchParams();
  if (page.limit !== undefined) params.set('limit', String(page.limit));
  if (page.before !== undefined) params.set('before', page.before);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/**
 * Ripple's public HTTP API as the load tester uses it. Only POST /api/tweets retries on its own
 * (it carries an Idempotency-Key); setup calls retry refusals only, because 429 and 503 promise
 * that nothing was written, while a lost answer to a sign-up might have been a success.
 */
export class RippleClient {
  readonly baseUrl: string;
  readonly #fetch: FetchFn;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #timeoutMs: number;

  constructor(options: RippleClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? nodeHttpFetch;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** One try: a parsed success body, or a RippleHttpError / RippleNetworkError. */
  #try<T>(spec: RequestSpec<T>): Promise<T> {
    return requestOnce(spec, { baseUrl: this.baseUrl, fetch: this.#fetch, timeoutMs: this.#timeoutMs });
  }

  /** Tries `spec` until it succeeds, fails for good, or `maxTries` is spent. */
  async #withRetries<T>(
    spec: RequestSpec<T>,
    policy: RetryPolicy & { retryable: (error: unknown) => boolean; onRefused?: (error: RippleRefusal) => void },
  ): Promise<T> {
    const maxTries = Math.max(1, policy.maxTries ?? DEFAULT_MAX_TRIES);
    for (let tries = 1; ; tries++) {
      try {
        return await this.#try(spec);
      } catch (error) {
        if (isRefusal(error)) policy.onRefused?.(error);
        if (!policy.retryable(error) || tries >= maxTries) throw error;
        const retryAfterS = error instanceof RippleHttpError ? error.retryAfterS : null;
        const delayMs = retryAfterS !== null ? retryAfterS * 1000 : backoffDelayMs(tries - 1, this.#random, policy);
        await this.#sleep(delayMs, spec.signal);
      }
    }
  }

  /**
   * `GET /healthz`. Throws a RippleUnreachableError with one printable line when there is no
   * Ripple answering at the URL, or it cannot reach its Redis.
   */
  async health(timeoutMs = 5000): Promise<Health> {
    try {
      return await this.#try({ path: '/healthz', schema: healthSchema, timeoutMs });
    } catch (error) {
      if (error instanceof RippleNetworkError) {
        throw new RippleUnreachableError(
          `Ripple is not reachable at ${this.baseUrl} (${error.message.replace(/^\/healthz: /, '')}); start it with \`npm start\` or pass --url`,
        );
      }
      if (error instanceof RippleHttpError && error.status === 503) {
        throw new RippleUnreachableError(`Ripple at ${this.baseUrl} is up but cannot reach its Redis (/healthz answered 503)`);
      }
      throw new RippleUnreachableError(
        `${this.baseUrl} does not answer like Ripple: GET /healthz ${(error as Error).message.replace(/^.*?\/healthz:? ?/, '')}`,
      );
    }
  }

  /** `GET /metrics` → `ripple_deliveries_total`, or null when the counter is not there. */
  async deliveriesTotal(timeoutMs = 5000): Promise<number | null> {
    return parseDeliveriesTotal(await this.metrics(timeoutMs));
  }

  /** `GET /metrics` as Prometheus text. */
  metrics(timeoutMs = 5000): Promise<string> {
    return this.#try({ path: '/metrics', schema: z.string(), timeoutMs, headers: { Accept: 'text/plain' }, text: true });
  }

  signUp(handle: string, password: string): Promise<AuthResponse> {
    return this.#withRetries({ method: 'POST', path: '/api/users', body: { handle, password }, schema: authResponseSchema }, { retryable: isRefusal });
  }

  /** Following twice is not an error, so this one may be repeated after a lost answer. */
  async follow(token: string, handle: string): Promise<void> {
    await this.#withRetries(
      { method: 'POST', path: '/api/follows', token, body: { handle }, schema: z.object({ following: z.literal(true) }) },
      { retryable: isRetryable },
    );
  }

  /** `count` (1–1 000 000) new synthetic users follow the caller; a demo-only endpoint. */
  async addSyntheticFollowers(token: string, count: number): Promise<User> {
    const { user } = await this.#withRetries(
      {
        method: 'POST',
        path: '/api/me/followers/synthetic',
        token,
        body: { count },
        schema: z.object({ user: userSchema }),
        // A million followers is a few seconds of Redis work; leave ample room on a busy box.
        timeoutMs: Math.max(this.#timeoutMs, 120_000),
      },
      { retryable: isRefusal },
    );
    return user;
  }

  /** `GET /api/jobs/:id` as the job's author. A read, so any retryable failure is tried again. */
  async job(token: string, jobId: string): Promise<Job> {
    const { job } = await this.#withRetries(
      { path: `/api/jobs/${encodeURIComponent(jobId)}`, token, schema: z.object({ job: jobSchema }) },
      { retryable: isRetryable },
    );
    return job;
  }

  /** One page of the caller's home timeline (`GET /api/timeline`), newest first. */
  homeTimeline(token: string, page: { limit?: number; before?: string } = {}): Promise<TweetPage> {
    return this.#withRetries({ path: `/api/timeline${pageQuery(page)}`, token, schema: tweetPageSchema }, { retryable: isRetryable });
  }

  /** One page of a user's own tweets (`GET /api/users/:handle/tweets`), newest first. */
  userTweets(token: string, handle: string, page: { limit?: number; before?: string } = {}): Promise<TweetPage> {
    return this.#withRetries(
      { path: `/api/users/${encodeURIComponent(handle)}/tweets${pageQuery(page)}`, token, schema: tweetPageSchema },
      { retryable: isRetryable },
    );
  }

  /**
   * `POST /api/tweets` as the real client sends it: on 429/503 it waits `Retry-After` (or a
   * jittered backoff when there is none), on no answer it backs off, and either way tries again
   * with the same Idempotency-Key, up to `maxTries`. Throws the last error when it gives up.
   */
  postTweet(token: string, text: string, options: PostTweetOptions): Promise<PostTweetResponse> {
    const { idempotencyKey, signal, onRefused, ...policy } = options;
    return this.#withRetries(
      {
        method: 'POST',
        path: '/api/tweets',
        token,
        body: { text },
        headers: { 'Idempotency-Key': idempotencyKey },
        schema: postTweetResponseSchema,
        ...(signal ? { signal } : {}),
      },
      { ...policy, retryable: isRetryable, ...(onRefused ? { onRefused } : {}) },
    );
  }
}
