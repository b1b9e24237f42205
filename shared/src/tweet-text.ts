/**
 * Tweet text as the contract defines it, in one place that the compose box (its counter) and
 * the server (the request schema, hence idempotency) both use, so they can never disagree.
 */

/** Most characters in a tweet, counted as a person counts them (extended grapheme clusters). */
export const TWEET_MAX_CHARACTERS = 280;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// Printable ASCII, tab and LF: one grapheme per code unit. (CR is not here: CRLF is one grapheme.)
const SIMPLE_TEXT = /^[\x20-\x7e\t\n]*$/;

/** Characters as a person counts them: an emoji with skin tone, or a flag, is one. */
export function characterCount(text: string): number {
  // Most tweets are plain ASCII; segmenting them costs the server more than the rest of the check.
  if (SIMPLE_TEXT.test(text)) return text.length;
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}

// With the u flag \p{Cs} matches only lone surrogates: a paired one is a single code point.
const LONE_SURROGATE = /\p{Cs}/u;
// Tab and line breaks are the only control characters a person types; the rest (NUL, BEL,
// the ESC of ANSI sequences, C1) only ever reach a timeline to damage how it shows.
const FORBIDDEN_CONTROL = /[^\P{Cc}\t\n\r]/u;
// Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069) reorder the text around
// them, which hides what a tweet says (and spills into the page). Plain marks (LRM, RLM) stay.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
// Something that draws: not whitespace, not a format or default-ignorable character (zero-width
// spaces and joiners, variation selectors, the Hangul filler), not a control.
const VISIBLE = /[^\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cc}]/u;

export type TweetTextCheck = { ok: true; text: string; characters: number } | { ok: false; text: string; characters: number; problem: string };

/**
 * Normalises tweet text (CRLF to LF, trimmed, NFC) and says whether it may be posted; `text` and
 * `characters` are the normalised text and its length either way, for a counter to show.
 */
export function checkTweetText(raw: string): TweetTextCheck {
  const text = raw.replace(/\r\n/g, '\n').trim().normalize('NFC');
  const characters = characterCount(text);
  const problem = LONE_SURROGATE.test(text)
    ? 'text must be well-formed Unicode (no lone surrogates)'
    : FORBIDDEN_CONTROL.test(text)
      ? 'text must not contain control characters other than tab and line breaks'
      : BIDI_CONTROL.test(text)
        ? 'text must not contain bidirectional override or isolate controls'
        : characters === 0
          ? 'text must not be empty'
          : !VISIBLE.test(text)
            ? 'text must contain at least one visible character'
            : characters > TWEET_MAX_CHARACTERS
              ? `text must be at most ${TWEET_MAX_CHARACTERS} characters`
              : undefined;
  return problem === undefined ? { ok: true, text, characters } : { ok: false, text, characters, problem };
}
