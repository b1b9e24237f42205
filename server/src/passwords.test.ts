import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.js';

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
});
