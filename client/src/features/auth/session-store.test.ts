import { describe, expect, it } from 'vitest';
import { createSessionStore, SESSION_STORAGE_KEY } from './session-store';

const session = { token: 'tok', user: { id: 'u1', handle: 'alice', followers: 3, following: 1 } };

describe('createSessionStore', () => {
  it('reads back the saved session, as after a reload', () => {
    createSessionStore(localStorage).save(session);
    expect(createSessionStore(localStorage).load()).toEqual(session);
  });

  it('forgets the session on clear', () => {
    const store = createSessionStore(localStorage);
    store.save(session);
    store.clear();
    expect(store.load()).toBeNull();
  });

  it('treats a corrupt entry as signed out', () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '{not json');
    expect(createSessionStore(localStorage).load()).toBeNull();
    localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ token: 'tok' }));
    expect(createSessionStore(localStorage).load()).toBeNull();
  });
});
