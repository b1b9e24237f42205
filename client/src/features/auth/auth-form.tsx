import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/api-error';
import type { CredentialsInput, RippleApi } from '../../api/ripple-api';
import type { Session } from './session-store';

export interface AuthFormProps {
  api: RippleApi;
  onSignedIn: (session: Session) => void;
}

type Mode = 'sign-up' | 'sign-in';

/** Sign up or sign in with a handle and password; shows the server's reason when it refuses. */
export function AuthForm({ api, onSignedIn }: AuthFormProps) {
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState<Mode | null>(null);
  const [error, setError] = useState<string | null>(null);

  const authenticate = async (mode: Mode) => {
    if (pending !== null) return;
    setPending(mode);
    setError(null);
    const credentials: CredentialsInput = { handle: handle.trim(), password };
    try {
      onSignedIn(await (mode === 'sign-up' ? api.signUp(credentials) : api.signIn(credentials)));
    } catch (cause) {
      setError(cause instanceof ApiError ? cause.message : 'Something went wrong. Please try again.');
      setPending(null);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void authenticate('sign-in');
  };

  return (
    <form className="card auth" onSubmit={onSubmit}>
      <h2 className="auth__title">Welcome to Ripple</h2>
      <p className="auth__hint">Post a tweet, see it at once, watch it reach every follower.</p>
      <label className="field">
        <span className="field__label">Handle</span>
        <input
          aria-label="Handle"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={handle}
          onChange={(event) => setHandle(event.target.value)}
        />
      </label>
      <label className="field">
        <span className="field__label">Password</span>
        <input aria-label="Password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} />
      </label>
      {error !== null && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div className="auth__actions">
        <button type="submit" className="button button--primary" disabled={pending !== null}>
          Sign in
        </button>
        <button type="button" className="button" disabled={pending !== null} onClick={() => void authenticate('sign-up')}>
          Sign up
        </button>
      </div>
    </form>
  );
}
