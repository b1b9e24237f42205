import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { keys } from '../keys.js';
import type { Logger } from './logger.js';
import { loadLuaScript } from './lua-script.js';
import { isRedisUnavailable, type RedisClient } from './redis-client.js';

/**
 * Settings that every server and worker sharing one Redis must agree on, checked at start
 * rather than trusted: the first process records its values in one key (keys.agreedSettings),
 * every later one compares its own with them and refuses to start when one differs. The record
 * lives as long as the processes that hold it, so after all of them have stopped, a new
 * configuration starts cleanly (agree-on-settings.lua).
 */

const script = loadLuaScript(new URL('../lua/agree-on-settings.lua', import.meta.url));

/** Setting name (as written in the environment) → this process's value. */
export type AgreedValues = Readonly<Record<string, number | string>>;

/**
 * How long one hold lasts: a process that died without letting go blocks a new configuration
 * for at most this long.
 */
export const AGREEMENT_HOLD_MS = 15_000;
/** How often a live process renews its hold: three times per hold, so one slow renewal costs nothing. */
export const AGREEMENT_REFRESH_MS = 5_000;
/** A process stopping during an outage does not wait longer than this to let go; its hold runs out instead. */
const RELEASE_WAIT_MS = 1_000;

const HOLDER_PREFIX = 'holder:';
/** Setting names as the environment spells them; the script separates them with spaces. */
const SETTING_NAME = /^[A-Z][A-Z0-9_]*$/;

/** A setting whose value differs from the one the processes already running agreed on. */
export class SettingsDisagreeError extends Error {
  override readonly name = 'SettingsDisagreeError';
  constructor(
    readonly setting: string,
    readonly recorded: string,
    readonly mine: string,
  ) {
    super(
      `${setting}=${mine} differs from ${setting}=${recorded}, which the Ripple processes already running on this Redis use; ` +
        `every server and worker must use the same ${setting} (to change it, stop them all first)`,
    );
  }
}

/** The script's ARGV for one hold: the hold field, its length, then name, value, name, value, … */
export function agreementArgs(holderId: string, holdMs: number, values: AgreedValues): string[] {
  const args = [`${HOLDER_PREFIX}${holderId}`, String(holdMs)];
  for (const [name, value] of Object.entries(values)) {
    if (!SETTING_NAME.test(name)) throw new Error(`agreed setting name ${JSON.stringify(name)} is not an environment setting name`);
    args.push(name, String(value));
  }
  return args;
}

/** Reads the script's reply: nothing when the values agree, a SettingsDisagreeError when one differs. */
export function disagreementIn(reply: unknown): SettingsDisagreeError | null {
  if (Array.isArray(reply) && reply[0] === 'agreed' && reply.length === 1) return null;
  if (Array.isArray(reply) && reply[0] === 'differs' && reply.length === 4 && reply.every((part) => typeof part === 'string')) {
    const [, setting, recorded, mine] = reply;
    return new SettingsDisagreeError(setting!, recorded!, mine!);
  }
  throw new Error(`agree-on-settings.lua answered ${JSON.stringify(reply)}`);
}

/** Records or compares `values` and holds them for `holdMs`; throws a SettingsDisagreeError on a difference. */
async function holdValues(redis: RedisClient, holderId: string, holdMs: number, values: AgreedValues): Promise<void> {
  const disagreement = disagreementIn(await script.run(redis, [keys.agreedSettings], agreementArgs(holderId, holdMs, values)));
  if (disagreement) throw disagreement;
}

export interface AgreementOptions {
  log: Logger;
  /** Names this process's hold; unique per process. @defaultValue `<role>-<host>-<pid>-<random>` */
  holderId?: string;
  /** @defaultValue {@link AGREEMENT_HOLD_MS} */
  holdMs?: number;
  /** @defaultValue {@link AGREEMENT_REFRESH_MS} */
  refreshMs?: number;
}

/** This process's hold on the agreed settings, renewed until `release`. */
export interface AgreementHold {
  readonly holderId: string;
  /** Stops renewing and lets go, so that once every process has, a new configuration is accepted. */
  release(): Promise<void>;
}

/**
 * Checks this process's `values` against those the running processes agreed on (recording them
 * when none is running) and keeps holding them. Throws a SettingsDisagreeError naming the first
 * setting that differs. A renewal that finds a difference (a process started with other values
 * while this one's Redis was away long enough for the record to expire) or cannot reach Redis
 * is logged and tried again at the next renewal; it does not stop a running process.
 */
export async function agreeOnSettings(redis: RedisClient, role: string, values: AgreedValues, options: AgreementOptions): Promise<AgreementHold> {
  const { log } = options;
  const holderId = options.holderId ?? `${role}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const holdMs = options.holdMs ?? AGREEMENT_HOLD_MS;
  // A process starting while Redis restarts waits for it, as its first connection does
  // (connectRedis), rather than dying on the way in.
  for (let attempt = 0; ; attempt++) {
    try {
      await holdValues(redis, holderId, holdMs, values);
      break;
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      log.warn({ err: String(err) }, 'redis unavailable while agreeing on settings; trying again');
      await delay(Math.min(100 * 2 ** Math.min(attempt, 5), 2000));
    }
  }

  let renewing: Promise<void> | null = null;
  const renew = () => {
    if (renewing) return;
    renewing = holdValues(redis, holderId, holdMs, values)
      .catch((err: unknown) => {
        if (err instanceof SettingsDisagreeError) log.error({ setting: err.setting, recorded: err.recorded, mine: err.mine }, err.message);
        else log.warn({ err: String(err) }, 'could not renew the hold on the agreed settings; trying again');
      })
      .finally(() => (renewing = null));
  };
  const timer = setInterval(renew, options.refreshMs ?? AGREEMENT_REFRESH_MS);
  timer.unref();

  return {
    holderId,
    async release() {
      clearInterval(timer);
      await renewing;
      const letGo = redis.hDel(keys.agreedSettings, `${HOLDER_PREFIX}${holderId}`);
      const gaveUp = new Promise<'timeout'>((resolve) => setTimeout(resolve, RELEASE_WAIT_MS, 'timeout').unref());
      const outcome = await Promise.race([letGo.then(() => 'released' as const), gaveUp]).catch((err: unknown) => String(err));
      if (outcome !== 'released') log.warn({ outcome }, `could not let go of the agreed settings; the hold runs out within ${holdMs / 1000} s`);
    },
  };
}

/**
 * As `agreeOnSettings`, for a process's main.ts: on a difference it writes one line naming the
 * setting and both values to stderr and exits 1, like a setting that fails to parse.
 */
export async function agreeOnSettingsOrExit(redis: RedisClient, role: string, values: AgreedValues, options: AgreementOptions): Promise<AgreementHold> {
  try {
    return await agreeOnSettings(redis, role, values, options);
  } catch (err) {
    if (!(err instanceof SettingsDisagreeError)) throw err;
    process.stderr.write(`ripple ${role}: ${err.message}\n`);
    process.exit(1);
  }
}
