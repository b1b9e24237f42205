import request from 'supertest';
import type { AuthResponse } from '@ripple/shared';
import type { Target } from './jobs.js';

/** Signs up a user through the API; returns the user, the token and a bearer header. */
export async function signUp(target: Target, handle: string, password = 'correct horse') {
  const res = await request(target).post('/api/users').send({ handle, password }).expect(201);
  const body = res.body as AuthResponse;
  return { ...body, auth: { Authorization: `Bearer ${body.token}` } };
}
