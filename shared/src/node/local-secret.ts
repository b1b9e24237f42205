/**
 * Secrets that a local run generates once and keeps in `.data/` (the token key, the password of
 * the Redis that `npm start` runs), so that every process of the run finds them and nobody
 * copies one by hand. Only the owner may read them: the directory is 0700, each file 0600.
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `.data/`, wherever the process was started from. */
export const LOCAL_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

/** The local run's token signing key when RIPPLE_TOKEN_SECRET is unset. */
export const TOKEN_SECRET_FILE = 'token-secret';
/** `requirepass` of the Redis (and the cluster nodes) that `npm start` and `npm run cluster` run. */
export const REDIS_PASSWORD_FILE = 'redis-password';

/** The directory, made (or tightened: older runs left it 0755) to 0700. */
export function privateDataDir(dir: string = LOCAL_DATA_DIR): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** The secret stored under `name`, or undefined when none was generated yet. */
export function readLocalSecret(name: string, dir: string = LOCAL_DATA_DIR): string | undefined {
  try {
    return readFileSync(path.join(dir, name), 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The secret stored under `name`, generated (32 random bytes, hex: safe in a URL) by the first
 * process to ask. Processes starting together agree: each writes its candidate to a file of its
 * own and links it into place, which succeeds for one only, with the whole secret in it.
 */
export function localSecret(name: string, dir: string = LOCAL_DATA_DIR): string {
  const existing = readLocalSecret(name, privateDataDir(dir));
  if (existing) return existing;
  const candidate = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(candidate, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(candidate, path.join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(candidate);
  }
  return readLocalSecret(name, dir)!;
}
