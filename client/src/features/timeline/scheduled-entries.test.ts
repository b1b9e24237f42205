import { describe, expect, it } from 'vitest';
import type { Job, Tweet } from '@ripple/shared';
import { deliveryOf } from './delivery';
import { timelineReducer, type TimelineAction } from './timeline-reducer';
import { initialTimelineState, type TimelineState } from './timeline-state';

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const scheduledTweet = (id: string, publishAt: string): Tweet => ({
  id,
  text: `later ${id}`,
  createdAt: publishAt,
  publishAt,
  author: { id: 'u-me', handle: 'me' },
});
const job = (id: string, tweetId: string): Job => ({
  id,
  tweetId,
  kind: 'post',
  delivery: 'fan-out',
  status: 'scheduled',
  delivered: 0,
  total: 0,
  skipped: 0,
  attempts: 0,
  enqueuedAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  error: null,
});
const run = (actions: TimelineAction[], from: TimelineState = initialTimelineState): TimelineState => actions.reduce(timelineReducer, from);

const inAnHour = scheduledTweet('0000000000000900', inMs(3_600_000));
const inAMinute = scheduledTweet('0000000000000500', inMs(60_000));

describe('scheduled tweets in the timeline state', () => {
  it('lists what is scheduled soonest first, its job reading scheduled', () => {
    const state = run([
      { type: 'tweet-scheduled', tweet: inAnHour, job: job('j9', inAnHour.id) },
      { type: 'tweet-scheduled', tweet: inAMinute, job: job('j5', inAMinute.id) },
    ]);
    expect(state.scheduled.map((t) => t.id)).toEqual([inAMinute.id, inAnHour.id]);
    expect(state.jobs.j5?.status).toBe('scheduled');
    expect(state.entries).toEqual([]);
  });

  it('moves a published tweet from the list into the timeline, where its id belongs, with its delivery queued', () => {
    const older: Tweet = { id: '0000000000000100', text: 'old', createdAt: inMs(-60_000), author: { id: 'u-x', handle: 'x' } };
    const state = run([
      { type: 'page-loaded', page: { tweets: [older], nextBefore: null }, position: 'newest' },
      { type: 'tweet-scheduled', tweet: inAMinute, job: job('j5', inAMinute.id) },
      { type: 'tweet-published', event: { tweetId: inAMinute.id, jobId: 'j5', total: 3, delivery: 'fan-out' } },
      { type: 'fanout-progress', event: { jobId: 'j5', tweetId: inAMinute.id, delivered: 1, total: 3 } },
    ]);
    expect(state.scheduled).toEqual([]);
    const [first, second] = state.entries;
    expect(first?.kind === 'own' && first.post.tweet).toEqual({
      id: inAMinute.id,
      text: inAMinute.text,
      createdAt: inAMinute.createdAt,
      author: inAMinute.author,
    });
    expect(second?.kind === 'tweet' && second.tweet.id).toBe(older.id);
    expect(first?.kind === 'own' && deliveryOf(first.post, state.jobs)).toMatchObject({ status: 'delivering', delivered: 1, total: 3 });
  });

  it('takes the way a scheduled tweet travels from its publication, not from the job read while it waited', () => {
    // Scheduled under a 1 000-follower on-read threshold, published to 2 000: on read.
    const waiting = { ...job('j5', inAMinute.id), onReadThreshold: 1_000 };
    const state = run([
      { type: 'tweet-scheduled', tweet: inAMinute, job: waiting },
      { type: 'tweet-published', event: { tweetId: inAMinute.id, jobId: 'j5', total: 2_000, delivery: 'on-read' } },
      { type: 'fanout-done', event: { jobId: 'j5', tweetId: inAMinute.id, delivered: 2_000, total: 2_000, durationMs: 1 } },
    ]);
    const [first] = state.entries;
    expect(first?.kind === 'own' && deliveryOf(first.post, state.jobs)).toMatchObject({ route: { delivery: 'on-read', onReadThreshold: 1_000 } });
  });

  it('does not bring back from a late list a tweet published or cancelled meanwhile, nor drop one scheduled after the list was asked for', () => {
    const state = run([
      { type: 'tweet-scheduled', tweet: inAMinute, job: job('j5', inAMinute.id) },
      { type: 'tweet-published', event: { tweetId: inAMinute.id, jobId: 'j5', total: 0, delivery: 'fan-out' } },
      { type: 'tweet-scheduled', tweet: inAnHour, job: job('j9', inAnHour.id) },
      // Asked for before either was scheduled, answered now:
      { type: 'scheduled-loaded', tweets: [inAMinute] },
    ]);
    expect(state.scheduled.map((t) => t.id)).toEqual([inAnHour.id]);
    const cancelled = run([{ type: 'scheduled-cancelled', tweetId: inAnHour.id }], state);
    expect(cancelled.scheduled).toEqual([]);
  });

  it('keeps the reason a scheduling failed until the next one succeeds', () => {
    const failed = run([{ type: 'schedule-failed', message: 'publishAt must be at least 5 seconds ahead' }]);
    expect(failed.scheduleError).toBe('publishAt must be at least 5 seconds ahead');
    expect(run([{ type: 'tweet-scheduled', tweet: inAnHour, job: job('j9', inAnHour.id) }], failed).scheduleError).toBeNull();
  });
});
