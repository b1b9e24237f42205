/**
 * Summaries the cluster bench reports: medians, percentiles, spreads, and number formats.
 */

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');

export interface Spread {
  median: number;
  min: number;
  max: number;
}
export const spread = (xs: readonly number[]): Spread => ({ median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) });
export const showSpread = (s: Spread, f: (n: number) => string = fmt) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

export const kShort = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 ? `${Math.round(n / 1000)}K` : String(n));
