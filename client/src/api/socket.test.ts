import { describe, expect, it, vi } from 'vitest';
import { fakeSocket } from '../test/fakes';
import { createRealtime, type RippleSocket } from './socket';

function setup() {
  const socket = fakeSocket();
  const onUnauthorized = vi.fn();
  const createSocket = vi.fn(() => socket as unknown as RippleSocket);
  const realtime = createRealtime({ token: 'tok', onUnauthorized, createSocket });
  return { socket, onUnauthorized, createSocket, realtime };
}

describe('createRealtime', () => {
  it('authenticates with the token and connects only when opened', () => {
    const { socket, createSocket, realtime } = setup();
    expect(createSocket).toHaveBeenCalledWith({ token: 'tok' });
    expect(socket.connected).toBe(false);
    realtime.open();
    expect(socket.connected).toBe(true);
    realtime.close();
    expect(socket.connected).toBe(false);
  });

  it('passes valid events to listeners and drops payloads that break the contract', () => {
    const { socket, realtime } = setup();
    const listener = vi.fn();
    realtime.on('fanout:progress', listener);
    socket.serverEmit('fanout:progress', { jobId: 'j', tweetId: 't', delivered: 'five', total: 10 });
    expect(listener).not.toHaveBeenCalled();
    socket.serverEmit('fanout:progress', { jobId: 'j', tweetId: 't', delivered: 5, total: 10 });
    expect(listener).toHaveBeenCalledWith({ jobId: 'j', tweetId: 't', delivered: 5, total: 10 });
  });

  it('stops calling a listener once it is removed', () => {
    const { socket, realtime } = setup();
    const listener = vi.fn();
    const off = realtime.on('connect', listener);
    socket.serverEmit('connect');
    off();
    socket.serverEmit('connect');
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('signs out when the server refuses the token, and not for other connection errors', () => {
    const { socket, onUnauthorized } = setup();
    socket.serverEmit('connect_error', new Error('xhr poll error'));
    expect(onUnauthorized).not.toHaveBeenCalled();
    socket.serverEmit('connect_error', new Error('unauthorized'));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('connects again a second after the server answers unavailable, without signing out', () => {
    vi.useFakeTimers();
    try {
      const { socket, onUnauthorized, realtime } = setup();
      realtime.open();
      socket.disconnect();
      socket.serverEmit('connect_error', new Error('unavailable'));
      vi.advanceTimersByTime(999);
      expect(socket.connected).toBe(false);
      vi.advanceTimersByTime(1);
      expect(socket.connected).toBe(true);
      expect(onUnauthorized).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
