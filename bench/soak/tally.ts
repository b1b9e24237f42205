/**
 * "Each exactly once", counted: what a timeline, a socket or a store holds against what it
 * should. Every check of the soak that speaks of loss or duplicates comes down to this.
 */

export interface OnceTally {
  /** Distinct ids expected. */
  expected: number;
  /** Expected, never seen. */
  missing: string[];
  /** Seen more than once (expected or not), with how often. */
  doubled: { id: string; times: number }[];
  /** Seen, not expected. */
  unexpected: string[];
}

/** Compares what was seen (with repeats) against the ids expected once each. */
export function tallyOnce(expected: Iterable<string>, seen: Iterable<string>): OnceTally {
  const want = new Set(expected);
  const counts = new Map<string, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  return {
    expected: want.size,
    missing: [...want].filter((id) => !counts.has(id)),
    doubled: [...counts].filter(([, times]) => times > 1).map(([id, times]) => ({ id, times })),
    unexpected: [...counts.keys()].filter((id) => !want.has(id)),
  };
}

export const isExactlyOnce = (tally: OnceTally): boolean => tally.missing.length === 0 && tally.doubled.length === 0 && tally.unexpected.length === 0;

/** Sums of several tallies, for one line of the report. */
export interface TallyTotals {
  /** Holders checked (timelines, sockets, authors). */
  holders: number;
  /** Holders whose tally is not exactly once. */
  wrong: number;
  expected: number;
  missing: number;
  doubled: number;
  unexpected: number;
  /** One wrong holder, described, to start debugging from. */
  example: string | null;
}

/** Adds up tallies keyed by holder (a handle, a user id). */
export function totalTallies(tallies: ReadonlyMap<string, OnceTally>): TallyTotals {
  const totals: TallyTotals = { holders: tallies.size, wrong: 0, expected: 0, missing: 0, doubled: 0, unexpected: 0, example: null };
  for (const [holder, tally] of tallies) {
    totals.expected += tally.expected;
    totals.missing += tally.missing.length;
    totals.doubled += tally.doubled.length;
    totals.unexpected += tally.unexpected.length;
    if (isExactlyOnce(tally)) continue;
    totals.wrong += 1;
    totals.example ??= describeTally(holder, tally);
  }
  return totals;
}

/** `o3: 2 missing (000000000041, …), 1 twice (000000000007 ×2)` */
export function describeTally(holder: string, tally: OnceTally): string {
  const few = (ids: string[]) => ids.slice(0, 3).join(', ') + (ids.length > 3 ? ', …' : '');
  const parts: string[] = [];
  if (tally.missing.length > 0) parts.push(`${tally.missing.length} missing (${few(tally.missing)})`);
  if (tally.doubled.length > 0) parts.push(`${tally.doubled.length} more than once (${few(tally.doubled.map((d) => `${d.id} ×${d.times}`))})`);
  if (tally.unexpected.length > 0) parts.push(`${tally.unexpected.length} unexpected (${few(tally.unexpected)})`);
  return `${holder}: ${parts.join(', ') || 'exactly once'}`;
}
