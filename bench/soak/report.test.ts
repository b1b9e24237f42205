import { describe, expect, it } from 'vitest';
import { formatSummary, type SoakReport } from './report.js';

const trend = { samples: 10, windowMs: 400_000, slopePerMin: 0.4, first: 100, last: 101, min: 99, max: 103 };
const reading = (t: number, backlog: number) => ({
  t,
  backlog,
  laneEntries: 0,
  pending: 0,
  consumers: 6,
  retries: 0,
  deadLetters: 0,
  events: 10,
  workers: 3,
  online: 40,
  delivered: t * 10,
});
const kind = (count: number) => ({ count, ttl: 'must-expire' as const, withoutTtl: 0, ttlMinS: 1, ttlMaxS: 90_000, example: null });

function report(overrides: Partial<SoakReport> = {}): SoakReport {
  return {
    runId: 'abc123',
    startedAt: '2026-11-30T12:00:00.000Z',
    options: {
      minutes: 10,
      rate: null,
      loadFraction: 0.6,
      largeAudiences: [20_000],
      smallAudience: [100, 5000],
      online: 40,
      calibrationFollowers: 200_000,
      drainTimeoutS: 120,
      maxRssSlopeMbPerMin: 2,
      out: 'x.json',
    },
    machine: { cpus: 2, totalMemMb: 24_000, node: 'v20', redis: '7.0.15' },
    calibration: {
      followers: 200_000,
      rounds: [{ tweets: 5, deliveries: 1_000_000, elapsedMs: 4_000, deliveriesPerSecond: 250_000 }],
      deliveriesPerSecond: 250_000,
    },
    maxBacklog: 5_000_000,
    rate: { deliveriesPerSecond: 150_000, source: 'measured' },
    plan: {
      large: { audiences: [20_000], tweetsPerSecond: 6, tweets: 3600, deliveriesPerSecond: 120_000 },
      small: { audiences: [2550], tweetsPerSecond: 12, tweets: 7200, deliveriesPerSecond: 30_000 },
      mostTweetsPerAuthor: 300,
    },
    posting: { sent: 10, accepted: 10, sending: 0, gaveUp: 0, resent: 0, refusals: { '503 unavailable': 3 }, seconds: 600, deliveriesPerSecond: 149_000 },
    faults: [
      {
        kind: 'kill-redis',
        plannedAtMs: 60_000,
        startedAtMs: 60_000,
        endedAtMs: 63_000,
        target: 'redis',
        detail: 'SIGKILL; answering again after 3.0 s',
        error: null,
      },
    ],
    drain: { drained: true, waitedMs: 1_500, jobsNotDone: 0 },
    checks: [{ name: 'queues drained', passed: true, summary: 'backlog 0' }],
    memory: {
      warmUpMs: 200_000,
      maxRssSlopeMbPerMin: 2,
      rows: [{ name: 'worker-3', role: 'steady', kind: 'worker', pid: 7, restarts: 0, trend, verdict: 'flat' }],
      rss: [],
    },
    bookkeeping: [reading(0, 0), reading(300_000, 1000), reading(600_000, 0)],
    census: { totalKeys: 20, kinds: { job: kind(10), idempotency: kind(10), cursor: kind(10) }, unknown: { count: 0, examples: [] } },
    redisInfo: { usedMemoryMb: 500, aofCurrentSizeMb: 300, aofDelayedFsync: 0, aofRewrites: 2 },
    leakDefinition: '…',
    runSeconds: 700,
    passed: true,
    ...overrides,
  };
}

describe('formatSummary', () => {
  it('shows the faults, every check, the memory rows and the verdict', () => {
    const text = formatSummary(report());
    expect(text).toContain('kill-redis');
    expect(text).toMatch(/queues drained\s+PASS\s+backlog 0/);
    expect(text).toMatch(/worker-3\s+steady\s+0\s+100\.0\s+101\.0\s+99\.0\s+103\.0\s+0\.40\s+flat/);
    expect(text).toMatch(/backlog \(deliveries\)\s+1,000\s+/);
    expect(text).toMatch(/chunk cursors\s+10 \(0 without TTL, TTL ≤ 90000 s\)/);
    expect(text).toContain('PASS: nothing lost, doubled or leaked');
    expect(text).not.toContain('FANOUT_MAX_BACKLOG');
  });

  it('names the failed checks with their details, and says when the backlog hit its bound', () => {
    const text = formatSummary(
      report({
        passed: false,
        checks: [{ name: 'queues drained', passed: false, summary: 'backlog 7000', details: ['backlog is not 0'] }],
        bookkeeping: [reading(0, 5_000_000)],
      }),
    );
    expect(text).toContain('queues drained: backlog is not 0');
    expect(text).toContain('FAIL: queues drained');
    expect(text).toContain('the backlog reached FANOUT_MAX_BACKLOG');
  });
});
