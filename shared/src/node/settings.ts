import { z } from 'zod';
import { INACTIVE_AFTER_DAYS_MIN } from './inactivity.js';
import { parseClusterNodes } from './redis-cluster-client.js';

/**
 * Environment settings, each parsed by a small zod schema: a value that is not valid for its
 * setting stops the process at start with one line naming it. An empty value means unset.
 */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

/** A whole number written in decimal digits (no sign, exponent, fraction or spaces), within [min, max]. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const intSetting = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.preprocess(unsetWhenEmpty, wholeNumber(min, max).default(fallback));

/** A number ≥ 0 written in decimal digits with an optional fraction ("2", "0.5"; no sign, exponent or spaces). */
export const decimalSetting = (fallback: number) =>
  z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?$/, 'must be a number ≥ 0, like 7 or 0.5')
      .transform(Number)
      .default(fallback),
  );

export const optionalIntSetting = (min = 0, max = Number.MAX_SAFE_INTEGER) => z.preprocess(unsetWhenEmpty, wholeNumber(min, max).optional());

export const portSetting = (fallback: number) => intSetting(fallback, 0, 65_535);

/** On/off settings are written 1 or 0, nothing else: "false" or "off" leaving a switch on is how demo endpoints leak. */
export const switchSetting = (fallback: boolean) =>
  z.preprocess(
    unsetWhenEmpty,
    z
      .enum(['0', '1'], { error: 'must be 1 or 0' })
      .transform((v) => v === '1')
      .default(fallback),
  );

/** A host name or address to listen on. */
export const hostSetting = (fallback: string) =>
  z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .regex(/^[^\s/]+$/, 'must be a host name or address')
      .default(fallback),
  );

export const stringSetting = () => z.preprocess(unsetWhenEmpty, z.string().optional());

/**
 * Settings that several processes must agree on, kept in this one place that server and workers
 * both read. TIMELINE_MAX: the server trims the author's timeline, workers the followers'.
 */
export const sharedSettings = {
  TIMELINE_MAX: intSetting(800, 1),
  /**
   * Followers inactive for longer than this many days are not written to (0: off); decimals
   * allowed, down to INACTIVE_AFTER_DAYS_MIN (inactivity.ts says why).
   */
  INACTIVE_AFTER_DAYS: decimalSetting(0).refine(
    (days) => days === 0 || days >= INACTIVE_AFTER_DAYS_MIN,
    `must be 0 (off) or at least ${INACTIVE_AFTER_DAYS_MIN}: activity marks can be minutes old`,
  ),
  REDIS_URL: z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .refine((url) => URL.canParse(url) && /^rediss?:$/.test(new URL(url).protocol), 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  /** The password of every node of the cluster REDIS_CLUSTER_NODES names (a single Redis takes it in REDIS_URL). */
  REDIS_PASSWORD: stringSetting(),
  REDIS_CLUSTER_NODES: z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .superRefine((nodes, ctx) => {
        try {
          parseClusterNodes(nodes);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^REDIS_CLUSTER_NODES:? ?/, '') });
        }
      })
      .optional(),
  ),
};

/** Parses the settings `shape` names from `env`; throws a SettingError naming the first bad one. */
export function readSettings<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0]);
  throw new SettingError(`${name}=${JSON.stringify(env[name] ?? '')} is not valid: ${issue.message}`);
}

/**
 * Reads a process's config, or stops the process with one line on stderr naming the bad
 * setting and exit code 1: a stack trace would bury the one thing to fix.
 */
export function readConfigOrExit<C>(read: () => C, processName: string): C {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof SettingError)) throw err;
    process.stderr.write(`ripple ${processName}: ${err.message}\n`);
    process.exit(1);
  }
}
