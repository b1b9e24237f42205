import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../bench/soak/fault-schedule.js';
import { parseOptions, type SoakOptions } from '../bench/soak/options.js';
import { formatSummary } from '../bench/soak/report.js';
import { runSoak } from '../bench/soak/soak-run.js';

/**
 * `npm run soak` in miniature: 90 s of posting while a worker is SIGKILLed, another SIGSTOPped
 * past the claim time, a server node SIGKILLed and Redis SIGKILLed and restarted from its
 * append-only file; then every check of the full soak. It posts at 30 % of the measured drain
 * rate, not the CLI's 60 %, and with smaller audiences: the rest of the suite runs beside it on
 * the same two cores, and the test must neither saturate the box (which only makes it slow:
 * refused posts are retried and checked all the same) nor slow the other tests down much.
 * Memory slopes are reported but not judged over so short a run.
 */
const options = parseOptions([
  '--minutes',
  '1.5',
  '--load',
  '0.3',
  '--calibration',
  '50000',
  '--large',
  '20000,40000',
  '--small',
  '100-2000',
  '--online',
  '20',
  // A broken build should fail in bounded time, not wait out the CLI's two minutes.
  '--drain-timeout',
  '45',
]) as SoakOptions;

describe('the soak', () => {
  it('loses, doubles and leaks nothing through worker, server and Redis kills and a stalled worker', async () => {
    const log: string[] = [];
    const { report } = await runSoak(options, { log: (line) => log.push(line) });
    const summary = `${formatSummary(report)}\n\nprogress:\n${log.join('\n')}`;

    expect(
      report.faults.map((f) => f.kind),
      summary,
    ).toEqual(expect.arrayContaining([...FAULT_KINDS]));
    expect(
      report.faults.filter((f) => f.error !== null),
      summary,
    ).toEqual([]);
    expect(report.posting.accepted, summary).toBeGreaterThan(0);
    expect(
      report.checks.filter((c) => !c.passed),
      summary,
    ).toEqual([]);
    expect(report.passed, summary).toBe(true);
  }, 300_000);
});
