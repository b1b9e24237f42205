import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import pLimit from 'p-limit';

/**
 * OWASP's first argon2id choice (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane,
 * ~12 ms per hash here (README, "Abuse resistance"). Raising any of them rehashes each password
 * at its owner's next sign-in.
 */
const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** `Algorithm.Argon2id`: a const enum, which isolated modules cannot read at run time. */
const ARGON2ID: Algorithm = 2;

/**
 * Hashes in flight at once. Each holds 19 MiB and a core; more than the cores only lengthens
 * every sign-in and starves the event loop's own work of the thread pool, while the rest wait
 * in line here, costing a closure each.
 */
export const HASHES_AT_ONCE = Math.max(1, availableParallelism());
const hashing = pLimit(HASHES_AT_ONCE);

/** Hashes running now and waiting their turn: what every sign-in and sign-up queues behind. */
export const hashingLoad = (): { running: number; waiting: number } => ({ running: hashing.activeCount, waiting: hashing.pendingCount });

/** Hashes stored before argon2: `scrypt$<salt>$<hash>` (base64url) at these fixed parameters. */
const LEGACY_SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const LEGACY_SCRYPT_KEY_LENGTH = 64;

/** A PHC string (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`) that records its parameters. */
export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password, ARGON2_PARAMS));
}

/** Whether `password` matches `stored`, in either stored format; false for anything unreadable. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return hashing(async () => {
    if (stored.startsWith('scrypt$')) return verifyLegacyScrypt(password, stored);
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  });
}

/** True when `stored` was made with other parameters than hashPassword uses now. */
export function needsRehash(stored: string): boolean {
  try {
    const found = parseOptions(stored);
    return (
      found.algorithm !== ARGON2ID ||
      found.memoryCost !== ARGON2_PARAMS.memoryCost ||
      found.timeCost !== ARGON2_PARAMS.timeCost ||
      found.parallelism !== ARGON2_PARAMS.parallelism
    );
  } catch {
    return true;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends what checking a wrong password costs, for a handle that has no account, so that the
 * time of the answer does not tell which handles exist. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(password, await dummy);
  return false;
}

async function verifyLegacyScrypt(password: string, stored: string): Promise<boolean> {
  const [, salt, expectedHash] = stored.split('$');
  if (!salt || !expectedHash) return false;
  const expected = Buffer.from(expectedHash, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, Buffer.from(salt, 'base64url'), LEGACY_SCRYPT_KEY_LENGTH, LEGACY_SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
