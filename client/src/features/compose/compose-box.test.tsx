import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ComposeBox, counterLevel, localInputValue } from './compose-box';

function setup() {
  const onPost = vi.fn<(text: string) => void>();
  render(<ComposeBox onPost={onPost} />);
  const textarea = screen.getByRole('textbox', { name: "What's happening?" });
  const post = screen.getByRole('button', { name: 'Post' });
  const counter = () => document.querySelector('.counter')!;
  return { onPost, textarea, post, counter, user: userEvent.setup() };
}

describe('ComposeBox', () => {
  it('counts an emoji as one character', async () => {
    const { textarea, counter, user } = setup();
    expect(counter().textContent).toBe('280 characters left');
    await user.type(textarea, '😀👍');
    expect(counter().textContent).toBe('278 characters left');
  });

  it('counts a flag and a family emoji as one character each, as the server does', async () => {
    const { textarea, counter, user } = setup();
    await user.click(textarea);
    await user.paste('🇫🇷👨‍👩‍👧');
    expect(counter().textContent).toBe('278 characters left');
  });

  it('disables Post for text the server would refuse: invisible only, or with a bidi override', async () => {
    const { textarea, post, user } = setup();
    await user.click(textarea);
    await user.paste('\u200B\u200D');
    expect(post).toHaveProperty('disabled', true);
    await user.clear(textarea);
    await user.paste('hi \u202Eereh');
    expect(post).toHaveProperty('disabled', true);
  });

  it('disables Post while the text is empty or only spaces', async () => {
    const { textarea, post, user } = setup();
    expect(post).toHaveProperty('disabled', true);
    await user.type(textarea, '   ');
    expect(post).toHaveProperty('disabled', true);
    await user.type(textarea, 'hi');
    expect(post).toHaveProperty('disabled', false);
  });

  it('allows exactly 280 characters and disables Post beyond, turning the counter red', async () => {
    const { textarea, post, counter, user } = setup();
    await user.click(textarea);
    await user.paste('😀'.repeat(280));
    expect(counter().getAttribute('data-level')).toBe('warning');
    expect(post).toHaveProperty('disabled', false);
    await user.type(textarea, 'x');
    expect(counter().textContent).toBe('-1 characters left');
    expect(counter().getAttribute('data-level')).toBe('over');
    expect(post).toHaveProperty('disabled', true);
  });

  it('warns from 20 characters left', () => {
    expect(counterLevel(21)).toBe('ok');
    expect(counterLevel(20)).toBe('warning');
    expect(counterLevel(0)).toBe('warning');
    expect(counterLevel(-1)).toBe('over');
  });

  it('posts the trimmed text and clears the box at once', async () => {
    const { textarea, post, onPost, user } = setup();
    await user.type(textarea, '  hello  ');
    await user.click(post);
    expect(onPost).toHaveBeenCalledWith('hello');
    expect(textarea).toHaveProperty('value', '');
  });

  it('schedules: ticking Schedule shows a date-time field, and the button sends the text with that time', async () => {
    const onPost = vi.fn<(text: string) => void>();
    const onSchedule = vi.fn<(text: string, publishAt: string) => void>();
    render(<ComposeBox onPost={onPost} onSchedule={onSchedule} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: "What's happening?" }), 'see you soon');
    await user.click(screen.getByRole('checkbox', { name: 'Schedule' }));
    const when = Date.now() + 3_600_000;
    fireEvent.change(screen.getByLabelText('Publish at'), { target: { value: localInputValue(when) } });
    await user.click(screen.getByRole('button', { name: 'Schedule' }));
    expect(onPost).not.toHaveBeenCalled();
    expect(onSchedule).toHaveBeenCalledWith('see you soon', new Date(Math.floor(when / 1000) * 1000).toISOString());
  });

  it.each([
    ['less than 5 s ahead', 2_000, 'at least 5 seconds'],
    ['in the past', -60_000, 'at least 5 seconds'],
    ['more than 30 days ahead', 31 * 24 * 3_600_000, 'at most 30 days'],
  ])('refuses a time %s, as the server would', async (_what, aheadMs, says) => {
    render(<ComposeBox onPost={() => {}} onSchedule={() => {}} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: "What's happening?" }), 'when?');
    await user.click(screen.getByRole('checkbox', { name: 'Schedule' }));
    fireEvent.change(screen.getByLabelText('Publish at'), { target: { value: localInputValue(Date.now() + aheadMs) } });
    expect(screen.getByRole('button', { name: 'Schedule' })).toHaveProperty('disabled', true);
    expect(screen.getByRole('status').textContent).toContain(says);
  });
});
