import type { LoadTestOptions } from './options.js';
import type { PostingGroup, PostingGroups } from './posting-groups.js';
import type { RefusalStatus } from './ripple-client.js';

export interface RunOutcome {
  interrupted: boolean;
  /** Why tweets were given up on, per group: reason → count. */
  failures: ReadonlyMap<PostingGroup, ReadonlyMap<string, number>>;
  /** Socket disconnects since posting began. */
  disconnects: number;
}

/** What a reader of the table should know: unfinished jobs, why tweets failed, hints. */
export function runNotes(groups: PostingGroups, outcome: RunOutcome, options: Pick<LoadTestOptions, 'rate' | 'authors'>): string[] {
  const notes: string[] = [];
  if (outcome.interrupted) notes.push('interrupted: the run was stopped early; the numbers cover what happened until then');
  for (const g of groups.all) {
    const who = g.notePrefix;
    const unfinished = g.tracker.running;
    if (unfinished > 0) notes.push(`${who}${unfinished} accepted tweet(s) had no fanout:done when the drain ended (not in "complete")`);
    if (g.tracker.awaitingDeliveries > 0 && unfinished === 0) {
      notes.push(`${who}${g.tracker.awaitingDeliveries} timeline:new event(s) expected at online followers never arrived`);
    }
  }
  for (const [g, reasons] of outcome.failures) for (const [reason, count] of reasons) notes.push(`${g.notePrefix}failed: ${count} × ${reason}`);
  notes.push(...refusalAdvice(groups, options));
  if (outcome.disconnects > 0) notes.push(`${outcome.disconnects} socket disconnect(s) during the run: events may have been missed`);
  return notes;
}

/**
 * Advice about the refusals of everyone but the attackers: the attackers' refusals are the
 * attack being held off, reported under "attack".
 */
function refusalAdvice(groups: PostingGroups, options: Pick<LoadTestOptions, 'rate' | 'authors'>): string[] {
  const notes: string[] = [];
  const refusedOthers = (status: RefusalStatus) => groups.all.filter((g) => g !== groups.attack).reduce((n, g) => n + g.tracker.refusedByStatus[status], 0);
  const rateLimited = refusedOthers(429);
  if (rateLimited > 0) {
    const perAuthor = options.rate / options.authors;
    notes.push(
      `refused: ${rateLimited} × 429 rate_limited: each author posts ${perAuthor.toFixed(1)}/s and Ripple limits each user ` +
        '(RATE_LIMIT_TWEETS_PER_MIN, 600/min by default); use more --authors or raise the limit',
    );
  }
  if (refusedOthers(503) > 0)
    notes.push(
      `refused: ${refusedOthers(503)} × 503 (a backlog at FANOUT_MAX_BACKLOG, FANOUT_MAX_SMALL_BACKLOG or FANOUT_MAX_AUTHOR_BACKLOG, or Redis unavailable)`,
    );
  return notes;
}
