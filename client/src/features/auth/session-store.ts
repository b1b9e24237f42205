import { authResponseSchema, type AuthResponse } from '@ripple/shared';

/** A signed-in user and the token that proves it, as the sign-in answer gave them. */
export type Session = AuthResponse;

export interface SessionStore {
  load(): Session | null;
  save(session: Session): void;
  clear(): void;
}

export const SESSION_STORAGE_KEY = 'ripple.session';

/**
 * Keeps the session in Web Storage so a reload stays signed in. What is read back is
 * validated: a corrupt or outdated entry counts as signed out.
 */
export function createSessionStore(storage: Storage): SessionStore {
  return {
    load() {
      try {
        const raw = storage.getItem(SESSION_STORAGE_KEY);
        if (raw === null) return null;
        const parsed = authResponseSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
    save(session) {
      storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
    },
    clear() {
      storage.removeItem(SESSION_STORAGE_KEY);
    },
  };
}
