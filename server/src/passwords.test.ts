import { describe, expect, it } from 'vitest';
import { HASHES_AT_ONCE, hashingLoad, hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('verify against their argon2id hash and nothing else', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('answer false, never throw, for a stored value that is no hash at all', async () => {
    for (const junk of ['', 'nonsense', '$argon2id$v=19$m=1', 'scrypt$', 'scrypt$$']) {
      expect(await verifyPassword('anything1', junk)).toBe(false);
      expect(needsRehash(junk)).toBe(true);
    }
  });

  it('refuse every password for an unknown handle, at the price of a verify', async () => {
    expect(await verifyAgainstDummy('whatever1')).toBe(false);
  });

  it('run at most one hash per core at once; the rest wait their turn', async () => {
    let mostRunning = 0;
    let mostWaiting = 0;
    const sample = () => {
      const { running, waiting } = hashingLoad();
      mostRunning = Math.max(mostRunning, running);
      mostWaiting = Math.max(mostWaiting, waiting);
    };
    const sampler = setInterval(sample, 1);
    try {
      await Promise.all(Array.from({ length: HASHES_AT_ONCE * 3 }, (_, i) => hashPassword(`password ${i}`).finally(sample)));
    } finally {
      clearInterval(sampler);
    }
    expect(mostRunning).toBe(HASHES_AT_ONCE);
    expect(mostWaiting).toBeGreaterThan(0);
    expect(hashingLoad()).toEqual({ running: 0, waiting: 0 });
  });
});
