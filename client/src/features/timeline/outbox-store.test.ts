import { describe, expect, it } from 'vitest';
import { createOutboxStore, outboxStorageKey, type PendingPost } from './outbox-store';

const post = (n: number): PendingPost => ({
  localId: `local-${n}`,
  text: `text ${n}`,
  idempotencyKey: `key-${n}`,
  createdAt: `2025-01-01T00:00:0${n}.000Z`,
});

describe('createOutboxStore', () => {
  it('keeps posts per user under ripple.outbox.<userId>, in the order they were saved', () => {
    const alice = createOutboxStore(localStorage, 'u-alice');
    alice.save([post(1), post(2)]);
    expect(outboxStorageKey('u-alice')).toBe('ripple.outbox.u-alice');
    expect(JSON.parse(localStorage.getItem('ripple.outbox.u-alice')!)).toEqual([post(1), post(2)]);
    expect(createOutboxStore(localStorage, 'u-bob').load()).toEqual([]);
  });

  it('replaces what it holds on each save, and removes the entry when empty', () => {
    const store = createOutboxStore(localStorage, 'u1');
    store.save([post(1)]);
    store.save([{ ...post(1), idempotencyKey: 'key-new' }]);
    expect(store.load()).toEqual([{ ...post(1), idempotencyKey: 'key-new' }]);
    store.save([]);
    expect(localStorage.getItem(outboxStorageKey('u1'))).toBeNull();
  });

  it("keeps another tab's unsent posts: each tab replaces only the posts it loaded or saved", () => {
    const first = createOutboxStore(localStorage, 'u2');
    const second = createOutboxStore(localStorage, 'u2');
    first.save([post(1)]);
    second.save([post(2)]);
    expect(createOutboxStore(localStorage, 'u2').load()).toEqual([post(1), post(2)]);
    first.save([]);
    expect(createOutboxStore(localStorage, 'u2').load()).toEqual([post(2)]);
    second.save([]);
    expect(localStorage.getItem(outboxStorageKey('u2'))).toBeNull();
  });

  it('drops corrupt entries, and reads a corrupt outbox as empty', () => {
    localStorage.setItem(outboxStorageKey('u1'), JSON.stringify([post(1), { localId: 3 }, 'junk']));
    expect(createOutboxStore(localStorage, 'u1').load()).toEqual([post(1)]);
    localStorage.setItem(outboxStorageKey('u1'), '{not json');
    expect(createOutboxStore(localStorage, 'u1').load()).toEqual([]);
  });

  it('does not throw when the storage refuses to write', () => {
    const full = {
      ...localStorage,
      getItem: () => null,
      setItem: () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
      removeItem: () => undefined,
    } as unknown as Storage;
    expect(() => createOutboxStore(full, 'u1').save([post(1)])).not.toThrow();
  });
});
