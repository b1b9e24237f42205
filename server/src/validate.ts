import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** Validates input at the edge with a shared schema; the 400's message names the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : where;
  throw new HttpError('invalid_request', `${field}: ${issue?.message ?? 'invalid'}`);
}
