import { z } from 'zod';

const pendingPostSchema = z.object({
  localId: z.string().min(1),
  text: z.string(),
  idempotencyKey: z.string().min(1),
  createdAt: z.string(),
});

/** A post the server has not accepted yet: enough to show it again and resend it under the same key. */
export type PendingPost = z.infer<typeof pendingPostSchema>;

/**
 * The posts of one user that are not accepted yet, kept across reloads and outages. What it
 * holds is derived from the timeline state (`outboxPosts`) and written whenever that changes:
 * a post is in from the moment its send starts until the server answers 202, it is discarded,
 * or the server refuses it for good.
 */
export interface OutboxStore {
  /** Oldest first. */
  load(): PendingPost[];
  /**
   * Stores `posts` as this tab's outbox: replaces what this tab loaded or saved before, and
   * keeps posts another tab of the same user stored meanwhile; all oldest first.
   */
  save(posts: PendingPost[]): void;
}

/** One entry per user, so one user's unsent posts are never sent under another's session. */
export const outboxStorageKey = (userId: string): string => `ripple.outbox.${userId}`;

/**
 * Keeps a user's outbox in Web Storage as one JSON array. What is read back is validated
 * entry by entry: a corrupt entry is dropped, not the whole outbox. A full or unavailable
 * storage only costs the survival of a reload, never the post itself.
 */
export function createOutboxStore(storage: Storage, userId: string): OutboxStore {
  const key = outboxStorageKey(userId);
  /** Posts this tab has loaded or saved: the ones whose fate it decides. */
  const mine = new Set<string>();

  const read = (): PendingPost[] => {
    try {
      const raw = storage.getItem(key);
      if (raw === null) return [];
      const parsed: unknown = JSON.parse(raw);
      if (!Array.isArray(parsed)) return [];
      return parsed.flatMap((entry) => {
        const post = pendingPostSchema.safeParse(entry);
        return post.success ? [post.data] : [];
      });
    } catch {
      return [];
    }
  };

  const load = (): PendingPost[] => {
    const posts = read();
    for (const post of posts) mine.add(post.localId);
    return posts;
  };

  const save = (posts: PendingPost[]): void => {
    try {
      const others = read().filter((post) => !mine.has(post.localId));
      for (const post of posts) mine.add(post.localId);
      const all = [...others, ...posts].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      if (all.length === 0) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(all));
    } catch {
      // Quota exceeded or storage disabled: the post still sends, it just won't outlive a reload.
    }
  };

  return { load, save };
}
