import { z } from 'zod';
import { abortReason, parseRetryAfter } from '@ripple/shared';
import { RippleHttpError, RippleNetworkError } from './ripple-errors.js';

/** What a try reads of an answer: a part of fetch's Response, so that a cheaper client can give it too. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Sends one request; the global fetch is one, {@link nodeHttpFetch} the one the load tester uses. */
export type FetchFn = (
  input: string,
  init: { method: string; headers: Record<string, string>; body: string | null; signal: AbortSignal },
) => Promise<HttpAnswer>;

/** One request to Ripple's HTTP API. */
export interface RequestSpec<T> {
  method?: 'GET' | 'POST';
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Validates the success body. */
  schema: z.ZodType<T>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The success body is text (Prometheus), not JSON. */
  text?: boolean;
}

/** Where and how requests go: the origin, the fetch to use, and the default per-try timeout. */
export interface Transport {
  baseUrl: string;
  fetch: FetchFn;
  timeoutMs: number;
}

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Why a request got no answer, in a few words: the system error code when there is one (node:http's own, or fetch's cause's). */
function describeNetworkFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  // fetch refuses a few ports outright (1, 25, 6000, …) and says only "bad port".
  if (cause?.message === 'bad port') return 'fetch does not allow that port';
  return (error as { code?: string }).code ?? cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

/** Sends `spec` once and answers the status and raw body; no answer is a RippleNetworkError. */
async function send(spec: RequestSpec<unknown>, transport: Transport): Promise<{ response: HttpAnswer; text: string }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
  if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
  if (spec.token) headers.Authorization = `Bearer ${spec.token}`;
  const timeoutMs = spec.timeoutMs ?? transport.timeoutMs;
  // One controller, a timer and a listener, rather than AbortSignal.timeout and AbortSignal.any:
  // on Node 20 those two make every signal transferable, a visible share of the load tester's
  // CPU when every tweet makes a pair.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const giveUp = () => controller.abort(spec.signal?.reason);
  if (spec.signal?.aborted) giveUp();
  spec.signal?.addEventListener('abort', giveUp, { once: true });
  try {
    const response = await transport.fetch(`${transport.baseUrl}${spec.path}`, {
      method: spec.method ?? (spec.body === undefined ? 'GET' : 'POST'),
      headers,
      body: spec.body === undefined ? null : JSON.stringify(spec.body),
      signal: controller.signal,
    });
    return { response, text: await response.text() };
  } catch (error) {
    if (spec.signal?.aborted) throw abortReason(spec.signal);
    if (timedOut) throw new RippleNetworkError(`${spec.path}: no answer in ${timeoutMs} ms`);
    throw new RippleNetworkError(`${spec.path}: ${describeNetworkFailure(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', giveUp);
  }
}

/** One try: a parsed success body, or a RippleHttpError / RippleNetworkError. */
export async function requestOnce<T>(spec: RequestSpec<T>, transport: Transport): Promise<T> {
  const { response, text } = await send(spec, transport);
  let body: unknown;
  try {
    body = spec.text && response.ok ? text : text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
    const parsed = errorBodySchema.safeParse(body);
    const code = parsed.success ? parsed.data.error.code : 'bad_response';
    const detail = parsed.success ? `${code}: ${parsed.data.error.message}` : 'without a Ripple error body';
    throw new RippleHttpError(response.status, code, `${spec.method ?? 'GET'} ${spec.path}: ${response.status} ${detail}`, retryAfter);
  }
  const parsed = spec.schema.safeParse(body);
  if (!parsed.success) {
    throw new RippleHttpError(
      response.status,
      'bad_response',
      `${spec.path}: an answer that is not Ripple's (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}
