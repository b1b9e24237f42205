import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { Tweet } from '@ripple/shared';
import { countdown, ScheduledList } from './scheduled-list';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const scheduledTweet = (id: string, aheadMs: number): Tweet => {
  const publishAt = new Date(NOW + aheadMs).toISOString();
  return { id, text: `later ${id}`, createdAt: publishAt, publishAt, author: { id: 'u-me', handle: 'me' } };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('ScheduledList', () => {
  it('counts down each tweet live, and reads publishing… once its time has come', () => {
    vi.useFakeTimers({ now: NOW });
    render(<ScheduledList tweets={[scheduledTweet('1', 3_000), scheduledTweet('2', 90 * 60_000)]} error={null} onCancel={() => {}} />);
    const countdowns = () => screen.getAllByText(/^in |publishing/).map((el) => el.textContent);
    expect(countdowns()).toEqual(['in 3 s', 'in 1 h 30 min']);
    act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(countdowns()).toEqual(['in 2 s', 'in 1 h 29 min']);
    act(() => {
      vi.advanceTimersByTime(2_000);
    });
    expect(countdowns()[0]).toBe('publishing…');
    expect(screen.getAllByRole('button', { name: 'Cancel' })[0]).toHaveProperty('disabled', true);
  });

  it('cancels the tweet whose button is pressed', () => {
    vi.useFakeTimers({ now: NOW });
    const onCancel = vi.fn<(id: string) => void>();
    render(<ScheduledList tweets={[scheduledTweet('1', 60_000), scheduledTweet('2', 120_000)]} error={null} onCancel={onCancel} />);
    fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' })[1]!);
    expect(onCancel).toHaveBeenCalledWith('2');
  });

  it('shows nothing with nothing scheduled, and the reason when scheduling failed', () => {
    const { container, rerender } = render(<ScheduledList tweets={[]} error={null} onCancel={() => {}} />);
    expect(container.textContent).toBe('');
    rerender(<ScheduledList tweets={[]} error="publishAt must be at least 5 seconds ahead" onCancel={() => {}} />);
    expect(screen.getByRole('alert').textContent).toContain('5 seconds');
  });

  it('says the two largest units left', () => {
    expect(countdown(9_000)).toBe('9 s');
    expect(countdown(4 * 60_000 + 5_000)).toBe('4 min 05 s');
    expect(countdown(3_600_000 + 2 * 60_000)).toBe('1 h 02 min');
    expect(countdown(2 * 86_400_000 + 3 * 3_600_000)).toBe('2 d 3 h');
  });
});
