import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createHttp } from '../../api/http';
import { createRippleApi } from '../../api/ripple-api';
import { fakeFetch } from '../../test/fakes';
import { FollowPanel } from './follow-panel';

const me = { id: 'u1', handle: 'alice', followers: 1200, following: 3 };

function setup() {
  const server = fakeFetch();
  const onChanged = vi.fn<() => void>();
  render(<FollowPanel api={createRippleApi(createHttp({ fetch: server.fetch, getToken: () => 'tok' }))} user={me} onChanged={onChanged} />);
  return { server, onChanged, user: userEvent.setup(), input: screen.getByLabelText('Handle to follow') };
}

describe('FollowPanel', () => {
  it("shows the user's follower and following counts", () => {
    setup();
    expect(screen.getByText('1,200').parentElement?.textContent).toBe('1,200 followers');
    expect(screen.getByText('3').parentElement?.textContent).toBe('3 following');
  });

  it('follows a handle typed with an @, then asks for fresh counts', async () => {
    const { server, onChanged, user, input } = setup();
    await user.type(input, '@Bob');
    await user.click(screen.getByRole('button', { name: 'Follow' }));
    const call = server.answer('POST', '/api/follows', 200, { following: true });
    expect(call.body).toEqual({ handle: 'Bob' });
    expect(call.headers.Authorization).toBe('Bearer tok');
    expect((await screen.findByRole('status')).textContent).toBe('You follow @bob.');
    expect(onChanged).toHaveBeenCalledTimes(1);
  });

  it('unfollows with DELETE', async () => {
    const { server, onChanged, user, input } = setup();
    await user.type(input, 'bob');
    await user.click(screen.getByRole('button', { name: 'Unfollow' }));
    server.answer('DELETE', '/api/follows/bob', 200, { following: false });
    expect((await screen.findByRole('status')).textContent).toBe('You unfollowed @bob.');
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
  });

  it("shows the server's message for an unknown handle", async () => {
    const { server, onChanged, user, input } = setup();
    await user.type(input, 'nobody');
    await user.click(screen.getByRole('button', { name: 'Follow' }));
    server.answer('POST', '/api/follows', 404, { error: { code: 'not_found', message: 'no user @nobody' } });
    expect((await screen.findByRole('alert')).textContent).toBe('no user @nobody');
    expect(onChanged).not.toHaveBeenCalled();
  });
});
