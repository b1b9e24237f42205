import { describe, expect, it } from 'vitest';
import { MAX_TWEETS_PER_AUTHOR, MAX_TWEETS_PER_AUTHOR_PER_S, planPosting, spreadAudiences } from './post-plan.js';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('planPosting', () => {
  const input = { deliveriesPerSecond: 120_000, postingS: 600, largeAudiences: [20_000, 50_000, 100_000], smallAudience: [100, 5000] as const };

  it('asks for the requested deliveries per second, 80 % of them from large authors', () => {
    const plan = planPosting(input);
    expect(plan.large.tweetsPerSecond * mean(plan.large.audiences)).toBeCloseTo(96_000);
    expect(plan.small.tweetsPerSecond * mean(plan.small.audiences)).toBeCloseTo(24_000);
    expect(plan.large.deliveriesPerSecond + plan.small.deliveriesPerSecond).toBeCloseTo(120_000);
  });

  it('adds authors until none posts more than the caps, so real followers never see a timeline trimmed', () => {
    const plan = planPosting(input);
    expect(plan.mostTweetsPerAuthor).toBeLessThanOrEqual(MAX_TWEETS_PER_AUTHOR);
    // A follower follows one large and one small author; TIMELINE_MAX is 800.
    expect(2 * plan.mostTweetsPerAuthor).toBeLessThan(800);
    for (const group of [plan.large, plan.small]) {
      expect(group.tweetsPerSecond / group.audiences.length).toBeLessThanOrEqual(MAX_TWEETS_PER_AUTHOR_PER_S);
    }
    // Large authors come in whole turns of the size list, so its mean is the group's mean.
    expect(plan.large.audiences.length % 3).toBe(0);
    expect(mean(plan.large.audiences)).toBeCloseTo(mean(input.largeAudiences));
  });

  it('needs more authors for a longer run at the same rate', () => {
    const short = planPosting({ ...input, postingS: 90 });
    const long = planPosting({ ...input, postingS: 3600 });
    expect(long.small.audiences.length).toBeGreaterThan(short.small.audiences.length);
    expect(long.mostTweetsPerAuthor).toBeLessThanOrEqual(MAX_TWEETS_PER_AUTHOR);
  });

  it('still plans one author per group at a trickle', () => {
    const plan = planPosting({ ...input, deliveriesPerSecond: 10, largeAudiences: [20_000] });
    expect(plan.large.audiences).toEqual([20_000]);
    expect(plan.small.audiences).toHaveLength(1);
  });
});

describe('spreadAudiences', () => {
  it('spreads evenly from the smallest to the largest', () => {
    expect(spreadAudiences([100, 5000], 3)).toEqual([100, 2550, 5000]);
    expect(spreadAudiences([100, 5000], 1)).toEqual([2550]);
  });
});
