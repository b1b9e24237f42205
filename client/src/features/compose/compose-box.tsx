import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { checkTweetText, TWEET_MAX_CHARACTERS } from '@ripple/shared';

/** From this many characters left the counter warns. */
export const COUNTER_WARNING_AT = 20;

export type CounterLevel = 'ok' | 'warning' | 'over';

export function counterLevel(remaining: number): CounterLevel {
  if (remaining < 0) return 'over';
  return remaining <= COUNTER_WARNING_AT ? 'warning' : 'ok';
}

export interface ComposeBoxProps {
  /** Receives the normalised text; the box clears itself at once, since posting is optimistic. */
  onPost: (text: string) => void;
}

/**
 * The tweet composer. Text is checked and counted by the same function as on the server
 * (characters as a person counts them), so the counter and Post never promise what the server refuses.
 */
export function ComposeBox({ onPost }: ComposeBoxProps) {
  const [text, setText] = useState('');
  const counterId = useId();
  const checked = checkTweetText(text);
  const remaining = TWEET_MAX_CHARACTERS - checked.characters;
  const level = counterLevel(remaining);
  const canPost = checked.ok;

  const submit = () => {
    if (!canPost) return;
    onPost(checked.text);
    setText('');
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form className="card compose" onSubmit={onSubmit}>
      <textarea
        className="compose__text"
        aria-label="What's happening?"
        aria-describedby={counterId}
        placeholder="What's happening?"
        rows={3}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="compose__footer">
        <span id={counterId} className={`counter counter--${level}`} data-level={level} aria-live="polite">
          {remaining}
          <span className="visually-hidden"> characters left</span>
        </span>
        <button type="submit" className="button button--primary" disabled={!canPost}>
          Post
        </button>
      </div>
    </form>
  );
}
