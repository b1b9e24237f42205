import request from 'supertest';
import type { AuthResponse } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import type { Target } from './jobs.js';

/** Signs up a user through the API; returns the user, the token and a bearer header. */
export async function signUp(target: Target, handle: string, password = 'correct horse') {
  const res = await request(target).post('/api/users').send({ handle, password }).expect(201);
  const body = res.body as AuthResponse;
  return { ...body, auth: { Authorization: `Bearer ${body.token}` } };
}

/**
 * Signs up `handle` as a user of `bucket`, so that a test can put users in one bucket (one
 * master, one events stream) on a cluster too. User ids are handed out in turn and fall in the
 * buckets in turn, so users `<handle>_1`, `<handle>_2`, … are signed up first until the next id
 * is in `bucket`; on a single Redis, where every user is in bucket 0, none is.
 */
export async function signUpInBucket(target: Target, redis: RedisClient, handle: string, bucket: number) {
  const k = keysOf(redis);
  const nextIdBucket = async () => k.layout.bucketOf(Number((await redis.get(k.userSeq)) ?? 0) + 1);
  for (let filler = 1; (await nextIdBucket()) !== bucket; filler++) await signUp(target, `${handle}_${filler}`);
  return signUp(target, handle);
}
