import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useNow } from '../../hooks/use-now';
import { checkTweetText, publishAtProblem, publishAtProblems, TWEET_MAX_CHARACTERS } from '@ripple/shared';

/** From this many characters left the counter warns. */
export const COUNTER_WARNING_AT = 20;

export type CounterLevel = 'ok' | 'warning' | 'over';

export function counterLevel(remaining: number): CounterLevel {
  if (remaining < 0) return 'over';
  return remaining <= COUNTER_WARNING_AT ? 'warning' : 'ok';
}

/** Where the date-time field starts when Schedule is ticked: a round ten minutes or so ahead. */
const DEFAULT_AHEAD_MS = 10 * 60_000;

/** An epoch-ms time as a `datetime-local` value (local time, to the second). */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A `datetime-local` value (local time) as epoch ms; NaN when empty or unreadable. */
const localInputMs = (value: string): number => (value === '' ? Number.NaN : new Date(value).getTime());

/** What is wrong with a publish time, by the server's rule (5 s to 30 days ahead); null when nothing is. */
export function publishAtError(value: string, now: number): string | null {
  const ms = localInputMs(value);
  if (Number.isNaN(ms)) return 'Pick a date and time.';
  const problem = publishAtProblem(ms, now);
  return problem === null ? null : publishAtProblems[problem].replace('publishAt', 'The time');
}

export interface ComposeBoxProps {
  /** Receives the normalised text; the box clears itself at once, since posting is optimistic. */
  onPost: (text: string) => void;
  /** Receives the normalised text and the publish time (ISO) of a scheduled tweet. Without it, no Schedule option. */
  onSchedule?: (text: string, publishAt: string) => void;
}

/**
 * The tweet composer. Text is checked and counted by the same function as on the server
 * (characters as a person counts them), so the counter and Post never promise what the server refuses.
 */
export function ComposeBox({ onPost, onSchedule }: ComposeBoxProps) {
  const [text, setText] = useState('');
  const [scheduling, setScheduling] = useState(false);
  const [publishAt, setPublishAt] = useState('');
  const counterId = useId();
  const whenErrorId = useId();
  const checked = checkTweetText(text);
  const remaining = TWEET_MAX_CHARACTERS - checked.characters;
  const level = counterLevel(remaining);
  // Checked against a clock read each second, and again on submit against the clock then.
  const now = useNow(1000);
  const whenError = scheduling ? publishAtError(publishAt, now) : null;
  const canPost = checked.ok && whenError === null;

  const submit = () => {
    if (!canPost) return;
    if (scheduling && onSchedule) {
      if (publishAtError(publishAt, Date.now()) !== null) return;
      onSchedule(checked.text, new Date(localInputMs(publishAt)).toISOString());
    } else {
      onPost(checked.text);
    }
    setText('');
  };

  const toggleScheduling = (on: boolean) => {
    setScheduling(on);
    if (on && publishAt === '') setPublishAt(localInputValue(Date.now() + DEFAULT_AHEAD_MS));
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
      {scheduling && (
        <div className="compose__when">
          <input
            type="datetime-local"
            className="compose__publish-at"
            aria-label="Publish at"
            aria-invalid={whenError !== null}
            aria-describedby={whenErrorId}
            step={1}
            value={publishAt}
            onChange={(event) => setPublishAt(event.target.value)}
          />
          <span id={whenErrorId} className="compose__when-error" role="status">
            {whenError ?? ''}
          </span>
        </div>
      )}
      <div className="compose__footer">
        {onSchedule && (
          <label className="compose__schedule">
            <input type="checkbox" checked={scheduling} onChange={(event) => toggleScheduling(event.target.checked)} /> Schedule
          </label>
        )}
        <span id={counterId} className={`counter counter--${level}`} data-level={level} aria-live="polite">
          {remaining}
          <span className="visually-hidden"> characters left</span>
        </span>
        <button type="submit" className="button button--primary" disabled={!canPost}>
          {scheduling ? 'Schedule' : 'Post'}
        </button>
      </div>
    </form>
  );
}
