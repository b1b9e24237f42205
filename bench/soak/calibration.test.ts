import { describe, expect, it } from 'vitest';
import type { Job } from '@ripple/shared';
import { roundOf, tweetsPerRound } from './calibration.js';

const job = (enqueuedAt: number, finishedAt: number, delivered: number): Job => ({
  id: '1',
  tweetId: '1',
  kind: 'post',
  delivery: 'fan-out',
  status: 'done',
  delivered,
  total: delivered,
  skipped: 0,
  attempts: 1,
  enqueuedAt: new Date(enqueuedAt).toISOString(),
  startedAt: null,
  finishedAt: new Date(finishedAt).toISOString(),
  error: null,
});

describe('roundOf', () => {
  it('is the deliveries of all jobs over the time from the first enqueue to the last finish', () => {
    const round = roundOf([job(1_000, 2_000, 100_000), job(1_010, 3_000, 100_000), job(1_020, 2_500, 100_000)]);
    expect(round).toEqual({ tweets: 3, deliveries: 300_000, elapsedMs: 2_000, deliveriesPerSecond: 150_000 });
  });
});

describe('tweetsPerRound', () => {
  it('asks for about a million deliveries, and at least two tweets', () => {
    expect(tweetsPerRound(50_000)).toBe(20);
    expect(tweetsPerRound(200_000)).toBe(5);
    expect(tweetsPerRound(5_000_000)).toBe(2);
  });
});
