import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { User } from '@ripple/shared';
import { createHttp } from '../../api/http';
import { createRippleApi } from '../../api/ripple-api';
import { fakeFetch } from '../../test/fakes';
import { SyntheticFollowers } from './synthetic-followers';

function setup() {
  const server = fakeFetch();
  const onUser = vi.fn<(user: User) => void>();
  render(<SyntheticFollowers api={createRippleApi(createHttp({ fetch: server.fetch, getToken: () => 'tok' }))} onUser={onUser} />);
  return { server, onUser, user: userEvent.setup() };
}

const buttons = () => ['+1K followers', '+100K followers', '+1M followers'].map((name) => screen.getByRole('button', { name }));

describe('SyntheticFollowers', () => {
  it('disables every button while adding, then shows the new follower count', async () => {
    const { server, onUser, user } = setup();
    await user.click(screen.getByRole('button', { name: '+100K followers' }));
    expect(screen.getByRole('status').textContent).toBe('adding…');
    for (const button of buttons()) expect(button).toHaveProperty('disabled', true);

    const added = { id: 'u1', handle: 'alice', followers: 100_005, following: 0 };
    const call = server.answer('POST', '/api/me/followers/synthetic', 200, { user: added });
    expect(call.body).toEqual({ count: 100_000 });
    expect((await screen.findByText('You now have 100,005 followers.')).getAttribute('role')).toBe('status');
    expect(onUser).toHaveBeenCalledWith(added);
    for (const button of buttons()) expect(button).toHaveProperty('disabled', false);
  });

  it("shows the server's message when the demo is off", async () => {
    const { server, onUser, user } = setup();
    await user.click(screen.getByRole('button', { name: '+1K followers' }));
    server.answer('POST', '/api/me/followers/synthetic', 404, { error: { code: 'not_found', message: 'no such route' } });
    expect((await screen.findByRole('alert')).textContent).toBe('no such route');
    expect(onUser).not.toHaveBeenCalled();
  });
});
