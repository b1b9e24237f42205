import { useState, type FormEvent } from 'react';
import type { User } from '@ripple/shared';
import { ApiError } from '../../api/api-error';
import type { RippleApi } from '../../api/ripple-api';

export interface FollowPanelProps {
  api: RippleApi;
  /** The signed-in user, whose counts are shown. */
  user: User;
  /** Called after a follow or unfollow succeeded, so the counts can be fetched again. */
  onChanged: () => void;
}

type Outcome = { kind: 'ok' | 'error'; message: string };

const formatCount = (n: number) => n.toLocaleString('en-US');

/** Follow or unfollow someone by handle, under the signed-in user's own counts. */
export function FollowPanel({ api, user, onChanged }: FollowPanelProps) {
  const [handle, setHandle] = useState('');
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  // People type "@bob" as often as "bob".
  const target = handle.trim().replace(/^@/, '');

  const change = async (follow: boolean) => {
    if (target === '' || pending) return;
    setPending(true);
    setOutcome(null);
    try {
      await (follow ? api.follow(target) : api.unfollow(target));
      setOutcome({ kind: 'ok', message: follow ? `You follow @${target.toLowerCase()}.` : `You unfollowed @${target.toLowerCase()}.` });
      setHandle('');
      onChanged();
    } catch (cause) {
      setOutcome({ kind: 'error', message: cause instanceof ApiError ? cause.message : 'Something went wrong.' });
    } finally {
      setPending(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void change(true);
  };

  return (
    <section className="follow" aria-label="Follow">
      <p className="counts">
        <span>
          <data className="counts__value" value={user.followers}>
            {formatCount(user.followers)}
          </data>{' '}
          followers
        </span>
        <span>
          <data className="counts__value" value={user.following}>
            {formatCount(user.following)}
          </data>{' '}
          following
        </span>
      </p>
      <form className="follow__form" onSubmit={onSubmit}>
        <input
          aria-label="Handle to follow"
          placeholder="Follow @handle"
          autoCapitalize="none"
          spellCheck={false}
          value={handle}
          onChange={(event) => setHandle(event.target.value)}
        />
        <button type="submit" className="button" disabled={pending || target === ''}>
          Follow
        </button>
        <button type="button" className="button button--quiet" disabled={pending || target === ''} onClick={() => void change(false)}>
          Unfollow
        </button>
      </form>
      {outcome !== null && (
        <p className={`notice notice--${outcome.kind}`} role={outcome.kind === 'error' ? 'alert' : 'status'}>
          {outcome.message}
        </p>
      )}
    </section>
  );
}
