import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createHttp } from '../../api/http';
import { createRippleApi } from '../../api/ripple-api';
import { fakeFetch } from '../../test/fakes';
import { AuthForm } from './auth-form';
import type { Session } from './session-store';

const session: Session = { token: 'tok', user: { id: 'u1', handle: 'alice', followers: 0, following: 0 } };

function setup() {
  const server = fakeFetch();
  const onSignedIn = vi.fn<(session: Session) => void>();
  render(<AuthForm api={createRippleApi(createHttp({ fetch: server.fetch }))} onSignedIn={onSignedIn} />);
  return { server, onSignedIn, user: userEvent.setup() };
}

async function fill(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText('Handle'), 'Alice');
  await user.type(screen.getByLabelText('Password'), 'correct horse');
}

describe('AuthForm', () => {
  it('signs up and hands over the session', async () => {
    const { server, onSignedIn, user } = setup();
    await fill(user);
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    const call = server.answer('POST', '/api/users', 201, session);
    expect(call.body).toEqual({ handle: 'Alice', password: 'correct horse' });
    expect(call.headers.Authorization).toBeUndefined();
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(session));
  });

  it("shows the server's message when the handle is taken", async () => {
    const { server, onSignedIn, user } = setup();
    await fill(user);
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    server.answer('POST', '/api/users', 409, { error: { code: 'handle_taken', message: 'handle alice is taken' } });
    expect((await screen.findByRole('alert')).textContent).toBe('handle alice is taken');
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Sign up' })).toHaveProperty('disabled', false);
  });

  it('signs in with the Sign in button and shows a wrong password', async () => {
    const { server, user } = setup();
    await fill(user);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    server.answer('POST', '/api/sessions', 401, { error: { code: 'unauthorized', message: 'wrong handle or password' } });
    expect((await screen.findByRole('alert')).textContent).toBe('wrong handle or password');
  });
});
