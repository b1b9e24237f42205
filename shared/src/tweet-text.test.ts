import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { characterCount, checkTweetText, TWEET_MAX_CHARACTERS } from './tweet-text.js';
import { postTweetBodySchema } from './schemas.js';

const visible = fc.constantFrom('a', 'é', '字', '😀', '🇫🇷', '👨‍👩‍👧', 'e\u0301', '١');
const visibleText = (min: number, max: number) => fc.array(visible, { minLength: min, maxLength: max }).map((cs) => cs.join(''));
const invisible = fc.constantFrom(' ', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u3164', '\uFE0F', '\n', '\t');

describe('checkTweetText', () => {
  it('counts characters as a person does: a flag, a family, an accented letter are one each', () => {
    expect(characterCount('🇫🇷👨‍👩‍👧e\u0301')).toBe(3);
  });

  it('counts plain ASCII the way the grapheme segmenter does (the fast path agrees with the slow one)', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    fc.assert(
      fc.property(ascii, (text) => {
        expect(characterCount(text)).toBe([...segmenter.segment(text)].length);
      }),
    );
    expect(characterCount('a\r\nb')).toBe(3);
  });

  it('accepts 1–280 visible characters, however many code units they take', () => {
    fc.assert(
      fc.property(visibleText(1, TWEET_MAX_CHARACTERS), (text) => {
        const checked = checkTweetText(text);
        expect(checked.ok).toBe(true);
        expect(checked.characters).toBe(characterCount(text.normalize('NFC')));
      }),
    );
  });

  it('refuses more than 280 characters', () => {
    fc.assert(
      fc.property(visibleText(TWEET_MAX_CHARACTERS + 1, TWEET_MAX_CHARACTERS + 40), (text) => {
        expect(checkTweetText(text).ok).toBe(false);
      }),
    );
  });

  it('refuses text with nothing visible in it', () => {
    fc.assert(
      fc.property(fc.array(invisible, { maxLength: 30 }), (parts) => {
        expect(checkTweetText(parts.join(''))).toMatchObject({ ok: false });
      }),
    );
  });

  it('refuses any control character but tab and line breaks, wherever it is', () => {
    const control = fc
      .integer({ min: 0, max: 0x9f })
      .filter((c) => c < 0x20 || c >= 0x7f)
      .filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d)
      .map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(visibleText(1, 10), control, visibleText(1, 10), (a, c, b) => {
        expect(checkTweetText(a + c + b)).toMatchObject({ ok: false, problem: expect.stringContaining('control') });
      }),
    );
    expect(checkTweetText('a\tb\nc\rd').ok).toBe(true);
  });

  it('refuses bidi embeddings, overrides and isolates but keeps plain direction marks', () => {
    const bidi = fc.constantFrom('\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069');
    fc.assert(
      fc.property(visibleText(1, 10), bidi, (a, c) => {
        expect(checkTweetText(a + c + 'x')).toMatchObject({ ok: false, problem: expect.stringContaining('bidirectional') });
      }),
    );
    expect(checkTweetText('abc \u200F עברית \u200E').ok).toBe(true);
  });

  it('refuses lone surrogates anywhere', () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(visibleText(0, 10), lone, visibleText(1, 10), (a, s, b) => {
        expect(checkTweetText(a + s + b)).toMatchObject({ ok: false, problem: expect.stringContaining('well-formed') });
      }),
    );
  });

  it('normalises: CRLF to LF, trimmed, NFC; so equal-looking bodies are equal', () => {
    expect(checkTweetText('  a\r\nb\u0065\u0301  ')).toMatchObject({ ok: true, text: 'a\nb\u00e9' });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (raw) => {
        const once = checkTweetText(raw);
        expect(checkTweetText(once.text).text).toBe(once.text);
      }),
    );
  });

  it('is what the request schema applies, its message naming the field', () => {
    expect(postTweetBodySchema.parse({ text: ' e\u0301 ' })).toEqual({ text: '\u00e9' });
    const failed = postTweetBodySchema.safeParse({ text: '\u200B' });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.path).toEqual(['text']);
  });
});
