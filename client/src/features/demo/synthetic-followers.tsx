import { useState } from 'react';
import type { User } from '@ripple/shared';
import { ApiError } from '../../api/api-error';
import type { RippleApi } from '../../api/ripple-api';

export interface SyntheticFollowersProps {
  api: RippleApi;
  /** Receives the user with the new follower count. */
  onUser: (user: User) => void;
}

/** The follower counts a demo can add in one click, with their button text. */
export const SYNTHETIC_BATCHES = [
  { count: 1_000, label: '+1K followers' },
  { count: 100_000, label: '+100K followers' },
  { count: 1_000_000, label: '+1M followers' },
] as const;

type Outcome = { kind: 'ok' | 'error'; message: string };

/** Demo only: makes synthetic users follow the signed-in user, to watch a big fan-out. */
export function SyntheticFollowers({ api, onUser }: SyntheticFollowersProps) {
  const [adding, setAdding] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const add = async (count: number) => {
    if (adding) return;
    setAdding(true);
    setOutcome(null);
    try {
      const user = await api.addSyntheticFollowers(count);
      onUser(user);
      setOutcome({ kind: 'ok', message: `You now have ${user.followers.toLocaleString('en-US')} followers.` });
    } catch (cause) {
      setOutcome({ kind: 'error', message: cause instanceof ApiError ? cause.message : 'Something went wrong.' });
    } finally {
      setAdding(false);
    }
  };

  return (
    <section className="demo" aria-label="Add synthetic followers" aria-busy={adding}>
      <span className="demo__label">Add synthetic followers</span>
      <div className="demo__buttons">
        {SYNTHETIC_BATCHES.map(({ count, label }) => (
          <button key={count} type="button" className="button button--small" disabled={adding} onClick={() => void add(count)}>
            {label}
          </button>
        ))}
      </div>
      {adding && (
        <p className="notice" role="status">
          adding…
        </p>
      )}
      {!adding && outcome !== null && (
        <p className={`notice notice--${outcome.kind}`} role={outcome.kind === 'error' ? 'alert' : 'status'}>
          {outcome.message}
        </p>
      )}
    </section>
  );
}
