import { describe, expect, it } from 'vitest';
import type { Job, Tweet } from '@ripple/shared';
import { deliveryOf } from './delivery';
import { timelineReducer, type TimelineAction } from './timeline-reducer';
import { restoredTimelineState } from './timeline-entries';
import { entryKey, outboxPosts, sendingPosts, unfinishedJobIds } from './timeline-selectors';
import { initialTimelineState, type TimelineState } from './timeline-state';

const tweet = (id: string, handle = 'alice', text = `tweet ${id}`): Tweet => ({
  id,
  text,
  createdAt: '2025-01-01T00:00:00.000Z',
  author: { id: `u-${handle}`, handle },
});

const job = (overrides: Partial<Job> = {}): Job => ({
  id: 'j1',
  tweetId: '000000000010',
  kind: 'post',
  delivery: 'fan-out',
  status: 'queued',
  delivered: 0,
  total: 10,
  skipped: 0,
  attempts: 0,
  enqueuedAt: '2025-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  error: null,
  ...overrides,
});

const run = (actions: TimelineAction[], from: TimelineState = initialTimelineState): TimelineState => actions.reduce(timelineReducer, from);

const started: TimelineAction = {
  type: 'post-started',
  localId: 'local-1',
  text: 'hello',
  idempotencyKey: 'key-1',
  createdAt: '2025-01-01T00:00:00.000Z',
};
const accepted = (j: Job = job()): TimelineAction => ({
  type: 'post-accepted',
  localId: 'local-1',
  tweet: tweet('000000000010', 'me', 'hello'),
  job: j,
});
const progress = (delivered: number, total = 10): TimelineAction => ({
  type: 'fanout-progress',
  event: { jobId: 'j1', tweetId: '000000000010', delivered, total },
});
const done = (total = 10): TimelineAction => ({
  type: 'fanout-done',
  event: { jobId: 'j1', tweetId: '000000000010', delivered: total, total, durationMs: 42 },
});

function onlyOwnDeliveries(state: TimelineState) {
  return state.entries.flatMap((e) => (e.kind === 'own' ? [deliveryOf(e.post, state.jobs)] : []));
}

function onlyOwnDelivery(state: TimelineState) {
  const own = state.entries.filter((e) => e.kind === 'own');
  expect(own).toHaveLength(1);
  const entry = own[0]!;
  if (entry.kind !== 'own') throw new Error('unreachable');
  return deliveryOf(entry.post, state.jobs);
}

describe('timelineReducer', () => {
  it('puts an optimistic post at the top, marked sending, before the server answers', () => {
    const state = run([{ type: 'page-loaded', page: { tweets: [tweet('000000000005')], nextBefore: null }, position: 'newest' }, started]);
    expect(state.entries.map(entryKey)).toEqual(['local-1', '000000000005']);
    expect(onlyOwnDelivery(state).status).toBe('sending');
  });

  it('replaces the optimistic post in place with the server tweet on 202, keeping its key', () => {
    const state = run([started, { type: 'tweet-arrived', tweet: tweet('000000000009', 'bob') }, accepted()]);
    expect(state.entries.map(entryKey)).toEqual(['000000000009', 'local-1']);
    const own = state.entries[1]!;
    expect(own.kind === 'own' && own.post.tweet?.id).toBe('000000000010');
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'queued', total: 10 });
  });

  it('never shows the accepted tweet twice when a refetch already brought it', () => {
    const page = { tweets: [tweet('000000000010', 'me', 'hello')], nextBefore: null };
    const refetchedFirst = run([started, { type: 'page-loaded', page, position: 'newest' }, accepted()]);
    expect(refetchedFirst.entries).toHaveLength(1);
    const refetchedAfter = run([started, accepted(), { type: 'page-loaded', page, position: 'newest' }]);
    expect(refetchedAfter.entries).toHaveLength(1);
    expect(onlyOwnDelivery(refetchedAfter).status).toBe('queued');
  });

  it('shows progress and ignores a lower delivered count that arrives after a higher one', () => {
    const state = run([started, accepted(), progress(7), progress(3)]);
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'delivering', delivered: 7, total: 10 });
  });

  it('lets the total come down while the job runs, as inactive followers are left out, whatever order the views arrive in', () => {
    expect(onlyOwnDelivery(run([started, accepted(job()), progress(3, 10), progress(5, 8)]))).toMatchObject({ delivered: 5, total: 8 });
    expect(onlyOwnDelivery(run([started, progress(5, 8), accepted(job())]))).toMatchObject({ delivered: 5, total: 8 });
  });

  it('keeps a job delivered when a stale progress event arrives after done', () => {
    const state = run([started, accepted(), done(), progress(4)]);
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'delivered', delivered: 10 });
  });

  it('applies a done event that arrived before the 202 once the 202 arrives', () => {
    const state = run([started, progress(5), done(), accepted(job({ status: 'queued', delivered: 0 }))]);
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'delivered', delivered: 10, total: 10 });
  });

  it('applies progress that arrived before the 202 once the 202 arrives', () => {
    const state = run([started, progress(6), accepted()]);
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'delivering', delivered: 6 });
  });

  it('treats a job with no followers that is already done as delivered to 0', () => {
    const state = run([started, accepted(job({ status: 'done', total: 0 }))]);
    expect(onlyOwnDelivery(state)).toMatchObject({ status: 'delivered', total: 0 });
  });

  it('waits for fanout:done when a job with no followers is not done yet', () => {
    const queued = run([started, accepted(job({ status: 'queued', total: 0 }))]);
    expect(onlyOwnDelivery(queued).status).toBe('queued');
    expect(onlyOwnDelivery(run([done(0)], queued)).status).toBe('delivered');
  });

  it('lets a done event win over a failed one', () => {
    const failed: TimelineAction = { type: 'fanout-failed', event: { jobId: 'j1', tweetId: '000000000010', error: 'boom' } };
    expect(onlyOwnDelivery(run([started, accepted(), failed])).status).toBe('failed');
    expect(onlyOwnDelivery(run([started, accepted(), failed, done()])).status).toBe('delivered');
    expect(onlyOwnDelivery(run([started, accepted(), done(), failed])).status).toBe('delivered');
  });

  it('marks a rejected send failed with the reason, and a retry sends again', () => {
    const failed = run([started, { type: 'post-rejected', localId: 'local-1', message: 'Too many tweets', forGood: false }]);
    expect(onlyOwnDelivery(failed)).toMatchObject({ status: 'failed', reason: 'Too many tweets' });
    const retried = run([{ type: 'post-retried', localId: 'local-1', idempotencyKey: 'key-1' }], failed);
    expect(onlyOwnDelivery(retried).status).toBe('sending');
    expect(onlyOwnDelivery(run([accepted()], retried)).status).toBe('queued');
  });

  it('removes a discarded post', () => {
    const state = run([
      { type: 'page-loaded', page: { tweets: [tweet('000000000005')], nextBefore: null }, position: 'newest' },
      started,
      { type: 'post-rejected', localId: 'local-1', message: 'offline', forGood: false },
      { type: 'post-discarded', localId: 'local-1' },
    ]);
    expect(state.entries.map(entryKey)).toEqual(['000000000005']);
  });

  it('slides a new tweet in at the top once, however often it arrives', () => {
    const arrived: TimelineAction = { type: 'tweet-arrived', tweet: tweet('000000000007', 'bob') };
    const state = run([
      { type: 'page-loaded', page: { tweets: [tweet('000000000005')], nextBefore: null }, position: 'newest' },
      arrived,
      arrived,
      { type: 'page-loaded', page: { tweets: [tweet('000000000007', 'bob')], nextBefore: null }, position: 'newest' },
    ]);
    expect(state.entries.map(entryKey)).toEqual(['000000000007', '000000000005']);
    expect(state.entries[0]).toMatchObject({ kind: 'tweet', arrived: true });
  });

  it('merges a refetched first page by id and keeps the older cursor', () => {
    const state = run([
      { type: 'page-loaded', page: { tweets: [tweet('000000000005'), tweet('000000000003')], nextBefore: '000000000003' }, position: 'newest' },
      { type: 'page-loaded', page: { tweets: [tweet('000000000001')], nextBefore: null }, position: 'older' },
      {
        type: 'page-loaded',
        page: { tweets: [tweet('000000000008'), tweet('000000000006'), tweet('000000000005')], nextBefore: '000000000005' },
        position: 'newest',
      },
    ]);
    expect(state.entries.map(entryKey)).toEqual(['000000000008', '000000000006', '000000000005', '000000000003', '000000000001']);
    expect(state.nextBefore).toBeNull();
  });

  it('marks a send waiting between tries retrying, and back to sending when the next try goes out', () => {
    const waiting: TimelineAction = { type: 'post-waiting', localId: 'local-1', retry: { cause: 'busy', at: 4000 } };
    const retrying = run([started, waiting]);
    expect(onlyOwnDelivery(retrying)).toMatchObject({ status: 'retrying', retry: { cause: 'busy', at: 4000 } });
    const again = run([{ type: 'post-sending', localId: 'local-1' }], retrying);
    expect(onlyOwnDelivery(again)).toMatchObject({ status: 'sending', retry: null });
    expect(onlyOwnDelivery(run([waiting, accepted()], again))).toMatchObject({ status: 'queued', retry: null });
  });

  it('ignores a wait reported for a post that is no longer sending', () => {
    const waiting: TimelineAction = { type: 'post-waiting', localId: 'local-1', retry: { cause: 'offline', at: null } };
    expect(onlyOwnDelivery(run([started, accepted(), waiting])).status).toBe('queued');
    const rejected: TimelineAction = { type: 'post-rejected', localId: 'local-1', message: 'gave up', forGood: false };
    expect(onlyOwnDelivery(run([started, waiting, rejected])).status).toBe('failed');
  });

  it('starts from unsent posts restored at the top, newest first, marked sending', () => {
    const restored = restoredTimelineState([
      { localId: 'local-a', text: 'a', idempotencyKey: 'key-a', createdAt: '2025-01-01T00:00:01.000Z' },
      { localId: 'local-b', text: 'b', idempotencyKey: 'key-b', createdAt: '2025-01-01T00:00:02.000Z' },
    ]);
    const page: TimelineAction = {
      type: 'page-loaded',
      page: { tweets: [tweet('000000000005')], nextBefore: null },
      position: 'newest',
    };
    const state = run([page], restored);
    expect(state.entries.map(entryKey)).toEqual(['local-b', 'local-a', '000000000005']);
    expect(state.entries[0]).toMatchObject({ kind: 'own', post: { idempotencyKey: 'key-b', send: 'sending' } });
    expect(sendingPosts(state).map((p) => p.localId)).toEqual(['local-b', 'local-a']);
  });

  it('marks an older page loading until it arrives or fails, and keeps the last load error until a page arrives', () => {
    const first: TimelineAction = { type: 'page-loaded', page: { tweets: [tweet('000000000005')], nextBefore: '000000000005' }, position: 'newest' };
    const requested = run([first, { type: 'older-page-requested' }]);
    expect(requested).toMatchObject({ loadingOlder: true, loadError: null });
    const refetchFailed = run([{ type: 'page-failed', message: 'offline', position: 'newest' }], requested);
    expect(refetchFailed).toMatchObject({ loadingOlder: true, loadError: 'offline' });
    const olderFailed = run([{ type: 'page-failed', message: 'busy', position: 'older' }], refetchFailed);
    expect(olderFailed).toMatchObject({ loadingOlder: false, loadError: 'busy', nextBefore: '000000000005' });
    const older: TimelineAction = { type: 'page-loaded', page: { tweets: [tweet('000000000002')], nextBefore: null }, position: 'older' };
    expect(run([{ type: 'older-page-requested' }, older], olderFailed)).toMatchObject({ loadingOlder: false, loadError: null, nextBefore: null });
  });

  it('keeps unaccepted posts in the outbox, oldest first, except those refused for good, until a retry', () => {
    const second: TimelineAction = { ...started, localId: 'local-2', idempotencyKey: 'key-2', createdAt: '2025-01-01T00:00:01.000Z' };
    const both = run([started, second]);
    expect(outboxPosts(both.entries).map((p) => p.localId)).toEqual(['local-1', 'local-2']);
    const gaveUp = run([{ type: 'post-rejected', localId: 'local-2', message: 'no answer', forGood: false }], both);
    expect(outboxPosts(gaveUp.entries).map((p) => p.localId)).toEqual(['local-1', 'local-2']);
    const refused = run([{ type: 'post-rejected', localId: 'local-1', message: 'text is too long', forGood: true }], gaveUp);
    expect(onlyOwnDeliveries(refused).map((d) => d.status)).toEqual(['failed', 'failed']);
    expect(outboxPosts(refused.entries)).toEqual([{ localId: 'local-2', text: 'hello', idempotencyKey: 'key-2', createdAt: '2025-01-01T00:00:01.000Z' }]);
    const retried = run([{ type: 'post-retried', localId: 'local-1', idempotencyKey: 'key-1' }], refused);
    expect(outboxPosts(retried.entries).map((p) => p.localId)).toEqual(['local-1', 'local-2']);
    expect(outboxPosts(run([accepted(), { type: 'post-discarded', localId: 'local-2' }], retried).entries)).toEqual([]);
  });

  it('merges a re-read job monotonically and lists only unfinished own jobs', () => {
    const queued = run([started, accepted()]);
    expect(unfinishedJobIds(queued)).toEqual(['j1']);
    const doneState = run([{ type: 'job-loaded', job: job({ status: 'done', delivered: 10 }) }], queued);
    expect(onlyOwnDelivery(doneState)).toMatchObject({ status: 'delivered', delivered: 10 });
    expect(unfinishedJobIds(doneState)).toEqual([]);
    const stale = run([{ type: 'job-loaded', job: job({ status: 'running', delivered: 2 }) }], doneState);
    expect(onlyOwnDelivery(stale)).toMatchObject({ status: 'delivered', delivered: 10 });
  });
});

describe('deletes', () => {
  const page = (...tweets: Tweet[]): TimelineAction => ({ type: 'page-loaded', page: { tweets, nextBefore: null }, position: 'newest' });
  const ids = (state: TimelineState) => state.entries.map(entryKey);

  it('keeps a deleted tweet out whatever arrives after, in any order: a stale page, a late timeline:new', () => {
    const state = run([
      page(tweet('000000000003', 'me'), tweet('000000000002')),
      { type: 'delete-started', tweetId: '000000000003' },
      page(tweet('000000000003', 'me'), tweet('000000000002')),
      { type: 'delete-accepted', tweetId: '000000000003', job: job({ id: 'd1', tweetId: '000000000003', kind: 'delete', total: 5 }) },
      { type: 'tweet-arrived', tweet: tweet('000000000003', 'me') },
      page(tweet('000000000003', 'me'), tweet('000000000002')),
    ]);
    expect(ids(state)).toEqual(['000000000002']);
    expect(state.jobs.d1).toMatchObject({ status: 'queued', total: 5 });
  });

  it('undoes a failed delete: the tweet is back in its place with the reason, and a page merges it once', () => {
    const state = run([
      page(tweet('000000000004'), tweet('000000000003', 'me'), tweet('000000000002')),
      { type: 'delete-started', tweetId: '000000000003' },
      { type: 'delete-failed', tweetId: '000000000003', message: 'busy' },
      page(tweet('000000000003', 'me')),
    ]);
    expect(ids(state)).toEqual(['000000000004', '000000000003', '000000000002']);
    expect(state.deletions).toMatchObject([{ tweetId: '000000000003', send: 'failed', error: 'busy' }]);
  });

  it('drops a tweet on tweet:deleted, and a failure answer after it brings nothing back', () => {
    const state = run([page(tweet('000000000003'), tweet('000000000002')), { type: 'tweet-deleted', tweetId: '000000000003' }]);
    expect(ids(state)).toEqual(['000000000002']);
    expect(run([{ type: 'delete-failed', tweetId: '000000000003', message: 'late' }], state)).toBe(state);
  });
});
