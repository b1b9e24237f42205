import { z } from 'zod';
import {
  authResponseSchema,
  cancelledSchema,
  jobJourneySchema,
  jobSchema,
  postTweetResponseSchema,
  scheduledTweetsSchema,
  tweetPageSchema,
  userSchema,
  type AuthResponse,
  type Job,
  type JobJourney,
  type PostTweetResponse,
  type Tweet,
  type TweetPage,
  type User,
} from '@ripple/shared';
import type { Http, RequestOptions } from './http';

export interface CredentialsInput {
  handle: string;
  password: string;
}

/** Lets the caller follow and stop a request that the `Http` may retry. */
export type SendOptions = Pick<RequestOptions<unknown>, 'signal' | 'onRetry'>;

export interface PageRequest {
  /** A tweet id: answer tweets older than it. */
  before?: string;
  /** 1–100; the server defaults to 50. */
  limit?: number;
}

/** Every HTTP endpoint the browser uses, typed after shared/CONTRACT.md. */
export interface RippleApi {
  signUp(credentials: CredentialsInput): Promise<AuthResponse>;
  signIn(credentials: CredentialsInput): Promise<AuthResponse>;
  me(): Promise<User>;
  follow(handle: string): Promise<void>;
  unfollow(handle: string): Promise<void>;
  /** `idempotencyKey` makes a repeat of the same send answer the first tweet, never a second one. */
  postTweet(text: string, idempotencyKey: string, options?: SendOptions): Promise<PostTweetResponse>;
  /** As postTweet, published at `publishAt` (ISO, 5 s to 30 days ahead); the job reads scheduled until then. */
  scheduleTweet(text: string, publishAt: string, idempotencyKey: string, options?: SendOptions): Promise<PostTweetResponse>;
  /** The caller's tweets waiting to be published, soonest first. */
  scheduledTweets(): Promise<Tweet[]>;
  /** Cancels a scheduled tweet: it is never published (or, published meanwhile, is deleted). */
  cancelScheduled(tweetId: string): Promise<void>;
  timeline(page?: PageRequest): Promise<TweetPage>;
  /** Deletes one of the caller's tweets: it is gone at once, and the answer is the job that takes it out of followers' timelines. */
  deleteTweet(id: string): Promise<Job>;
  /** The current state of one of the caller's own fan-out jobs. */
  job(id: string): Promise<Job>;
  /** One of the caller's jobs step by step: accepted, queued, each entry started and by which worker, takeovers, retries, done. */
  journey(jobId: string): Promise<JobJourney>;
  /** The journey of one of the caller's tweets' post job, for a tweet whose job this page does not know. */
  tweetJourney(tweetId: string): Promise<JobJourney>;
  addSyntheticFollowers(count: number): Promise<User>;
}

const userBodySchema = z.object({ user: userSchema });
const followingSchema = z.object({ following: z.boolean() });
const jobBodySchema = z.object({ job: jobSchema });

function pageQuery(page: PageRequest): string {
  const params = new URLSearchParams();
  if (page.limit !== undefined) params.set('limit', String(page.limit));
  if (page.before !== undefined) params.set('before', page.before);
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

export function createRippleApi(http: Http): RippleApi {
  return {
    signUp: (credentials) => http.request('/api/users', { method: 'POST', body: credentials, schema: authResponseSchema }),
    signIn: (credentials) => http.request('/api/sessions', { method: 'POST', body: credentials, schema: authResponseSchema }),
    me: async () => (await http.request('/api/me', { schema: userBodySchema })).user,
    follow: async (handle) => {
      await http.request('/api/follows', { method: 'POST', body: { handle }, schema: followingSchema });
    },
    unfollow: async (handle) => {
      await http.request(`/api/follows/${encodeURIComponent(handle)}`, { method: 'DELETE', schema: followingSchema });
    },
    postTweet: (text, idempotencyKey, options = {}) =>
      http.request('/api/tweets', {
        ...options,
        method: 'POST',
        body: { text },
        headers: { 'Idempotency-Key': idempotencyKey },
        schema: postTweetResponseSchema,
      }),
    scheduleTweet: (text, publishAt, idempotencyKey, options = {}) =>
      http.request('/api/tweets', {
        ...options,
        method: 'POST',
        body: { text, publishAt },
        headers: { 'Idempotency-Key': idempotencyKey },
        schema: postTweetResponseSchema,
      }),
    scheduledTweets: async () => (await http.request('/api/me/scheduled', { schema: scheduledTweetsSchema })).tweets,
    cancelScheduled: async (tweetId) => {
      // 202 with a delete job instead when a worker published it first: it is deleted, which is as gone.
      await http.request(`/api/tweets/${encodeURIComponent(tweetId)}`, { method: 'DELETE', schema: cancelledSchema.or(jobBodySchema) });
    },
    timeline: (page = {}) => http.request(`/api/timeline${pageQuery(page)}`, { schema: tweetPageSchema }),
    deleteTweet: async (id) => (await http.request(`/api/tweets/${encodeURIComponent(id)}`, { method: 'DELETE', schema: jobBodySchema })).job,
    job: async (id) => (await http.request(`/api/jobs/${encodeURIComponent(id)}`, { schema: jobBodySchema })).job,
    journey: (jobId) => http.request(`/api/jobs/${encodeURIComponent(jobId)}/journey`, { schema: jobJourneySchema }),
    tweetJourney: (tweetId) => http.request(`/api/tweets/${encodeURIComponent(tweetId)}/journey`, { schema: jobJourneySchema }),
    addSyntheticFollowers: async (count) =>
      (await http.request('/api/me/followers/synthetic', { method: 'POST', body: { count }, schema: userBodySchema })).user,
  };
}
