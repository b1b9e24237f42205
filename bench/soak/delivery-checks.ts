import { chunkId, jobField } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';
import { mapWithLimit } from '../loadtest/crowd.js';
import type { RippleClient } from '../loadtest/ripple-client.js';
import { CHECK_CONCURRENCY, inBatches, readAllPages, type CheckResult } from './checks.js';
import type { Ledger } from './ledger.js';
import type { SoakAuthor, SoakFollower } from './soak-crowd.js';
import { stayedConnected, type SocketLog } from './socket-log.js';
import { tallyOnce, totalTallies, type OnceTally, type TallyTotals } from './tally.js';

const counted = (t: TallyTotals) => `${t.missing} missing, ${t.doubled} more than once, ${t.unexpected} unexpected`;
const clean = (t: TallyTotals) => t.wrong === 0;

/** Reads whole timelines from Redis, each in its user's bucket, 1 000 per round trip. */
async function readTimelines(redis: RedisClient, userIds: readonly string[]): Promise<string[][]> {
  const k = keysOf(redis);
  return inBatches(userIds, (id) => redis.lRange(k.timeline(id), 0, -1));
}

/** Every real follower's home timeline, read from Redis, holds each tweet of the authors it follows exactly once. */
export async function checkRealTimelines(redis: RedisClient, followers: readonly SoakFollower[], ledger: Ledger): Promise<CheckResult> {
  const timelines = await readTimelines(
    redis,
    followers.map((f) => f.id),
  );
  const tallies = new Map<string, OnceTally>();
  followers.forEach((f, i) =>
    tallies.set(
      f.handle,
      tallyOnce(
        ledger.expectedFor(f).map((t) => t.seq),
        timelines[i]!,
      ),
    ),
  );
  const totals = totalTallies(tallies);
  return {
    name: 'real followers: timeline holds each tweet once (Redis)',
    passed: clean(totals),
    summary: `${totals.holders} timelines, ${totals.expected} entries expected: ${counted(totals)}`,
    details: totals.example ? [totals.example] : [],
  };
}

/** Random extra followers sampled per author, beside the ends of every bucket and the chunk boundaries. */
const RANDOM_SAMPLE = 25;

/** Fields of a job record that are named by a chunk id: any of them shows the chunk existed. */
const CHUNK_FIELD_PREFIXES = [jobField.reported(''), jobField.finished(''), jobField.attempt('')];

/**
 * The chunks a job was cut into, as their starts (exclusive, in follow sequence) by bucket,
 * read from the job record's per-chunk fields (`reported:`, `finished:`, `attempt:` + chunk
 * id). Admission cuts each bucket's followers into score ranges; this is what it actually cut,
 * not a second copy of how it cuts.
 */
export function chunkStartsOf(job: Readonly<Record<string, string>>): Map<number, number[]> {
  const starts = new Map<number, Set<number>>();
  for (const field of Object.keys(job)) {
    const prefix = CHUNK_FIELD_PREFIXES.find((p) => field.startsWith(p));
    if (prefix === undefined) continue;
    const id = field.slice(prefix.length);
    const [bucket = '', lo = ''] = id.split(':');
    // Only ids that are what chunkId makes of a bucket and a start.
    if (!/^[0-9]+$/.test(bucket) || !/^[0-9]+$/.test(lo) || chunkId({ bucket: Number(bucket), lo, hi: lo }) !== id) continue;
    const inBucket = starts.get(Number(bucket)) ?? new Set<number>();
    starts.set(Number(bucket), inBucket.add(Number(lo)));
  }
  return new Map([...starts].map(([bucket, set]) => [bucket, [...set].sort((a, b) => a - b)]));
}

/**
 * Synthetic followers' timelines, sampled: per author, in every bucket that holds its
 * followers, the first and last follower and the two on either side of every chunk boundary
 * (where a resumed or raced chunk would double or drop one), and a few at random over all
 * buckets; each must hold each of the author's tweets exactly once. Chunks are score ranges of
 * one bucket's followers (admit-tweet.lua); their boundaries are read from the author's first
 * job, which holds for every job of the author since followers never change after setup.
 */
export async function checkSyntheticSample(
  redis: RedisClient,
  authors: readonly SoakAuthor[],
  ledger: Ledger,
  realIds: ReadonlySet<string>,
): Promise<CheckResult> {
  const k = keysOf(redis);
  const tallies = new Map<string, OnceTally>();
  let boundaries = 0;
  await mapWithLimit(authors, 4, async (author) => {
    const tweets = ledger.byAuthor.get(author.id) ?? [];
    const firstJob = tweets[0] ? await redis.hGetAll(k.job(tweets[0].jobId)) : {};
    const chunkStarts = chunkStartsOf(firstJob);
    const counts = await Promise.all(k.layout.all.map((b) => redis.zCard(k.followers(b, author.id))));
    const picks: Promise<string[]>[] = [];
    for (const b of k.layout.all) {
      const followers = k.followers(b, author.id);
      if (counts[b] === 0) continue;
      picks.push(redis.zRange(followers, 0, 0), redis.zRange(followers, -1, -1));
      for (const lo of chunkStarts.get(b) ?? []) {
        if (lo === 0) continue;
        boundaries += 1;
        // The last follower of the chunk that ends at `lo`, and the first of the one after it.
        picks.push(
          redis.zRange(followers, lo, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: 1 } }),
          redis.zRange(followers, `(${lo}`, '+inf', { BY: 'SCORE', LIMIT: { offset: 0, count: 1 } }),
        );
      }
    }
    const total = counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < RANDOM_SAMPLE && total > 0; i++) {
      // A rank over all the author's followers, bucket after bucket.
      let rank = Math.floor(Math.random() * total);
      let b = 0;
      while (rank >= counts[b]!) rank -= counts[b++]!;
      picks.push(redis.zRange(k.followers(b, author.id), rank, rank));
    }
    const ids = [...new Set((await Promise.all(picks)).flat())].filter((id) => !realIds.has(id));
    const timelines = await readTimelines(redis, ids);
    const expected = tweets.map((t) => t.seq);
    ids.forEach((id, i) => tallies.set(`${author.handle}'s follower ${id}`, tallyOnce(expected, timelines[i]!)));
  });
  const totals = totalTallies(tallies);
  return {
    name: 'synthetic followers: sampled timelines hold each tweet once (Redis)',
    passed: clean(totals),
    summary: `${totals.holders} timelines (ends, both sides of ${boundaries} chunk edges, random) of ${authors.length} authors: ${counted(totals)}`,
    details: totals.example ? [totals.example] : [],
  };
}

/** Events explained at most, per check: enough to see a pattern, few enough to read. */
const EXPLAINED = 5;

/**
 * Every real follower whose socket never dropped received each tweet's `timeline:new` exactly
 * once. Followers whose socket dropped (their node was killed) are checked by their timeline
 * instead (`checkCatchUp`). With no follower left connected the check proves nothing, and fails.
 * `explain` says when a missed or repeated tweet was posted and delivered, and what fault came
 * before: the first thing to know when an event goes astray.
 */
export async function checkTimelineEvents(
  logs: readonly SocketLog[],
  followers: ReadonlyMap<string, SoakFollower>,
  ledger: Ledger,
  explain: (tweetId: string) => Promise<string>,
): Promise<CheckResult> {
  const steady = logs.filter(stayedConnected);
  const tallies = new Map<string, OnceTally>();
  for (const log of steady)
    tallies.set(
      log.member.handle,
      tallyOnce(
        ledger.expectedFor(followers.get(log.member.id)!).map((t) => t.tweetId),
        log.timelineNew,
      ),
    );
  const totals = totalTallies(tallies);
  const astray = [...tallies].flatMap(([handle, t]) => [
    ...t.missing.map((id) => ({ handle, id, what: 'missed' })),
    ...t.doubled.map((d) => ({ handle, id: d.id, what: `got ×${d.times}` })),
  ]);
  const explained = await Promise.all(astray.slice(0, EXPLAINED).map(async (a) => `${a.handle} ${a.what} ${await explain(a.id)}`));
  return {
    name: 'connected followers: each timeline:new once',
    passed: steady.length > 0 && clean(totals),
    summary: `${steady.length} of ${logs.length} sockets never dropped; ${totals.expected} events expected: ${counted(totals)}`,
    details: [...(totals.example ? [totals.example] : steady.length === 0 ? ['no socket stayed connected: nothing was proved'] : []), ...explained],
  };
}

/**
 * After the run every follower's socket is connected again (the client reconnects by itself),
 * and its home timeline read through the API, as the client's catch-up reads it, holds each
 * tweet exactly once: for followers whose node was killed, this is what replaces the events
 * they missed.
 */
export async function checkCatchUp(
  clientOf: (node: number) => RippleClient,
  logs: readonly SocketLog[],
  followers: ReadonlyMap<string, SoakFollower>,
  ledger: Ledger,
): Promise<CheckResult> {
  const dropped = logs.filter((log) => !stayedConnected(log));
  const offline = logs.filter((log) => !log.socket.connected);
  const tallies = new Map<string, OnceTally>();
  await mapWithLimit(logs, CHECK_CONCURRENCY, async (log) => {
    const follower = followers.get(log.member.id)!;
    const seen = await readAllPages((page) => clientOf(follower.node).homeTimeline(follower.token, page));
    tallies.set(
      follower.handle,
      tallyOnce(
        ledger.expectedFor(follower).map((t) => t.tweetId),
        seen,
      ),
    );
  });
  const droppedTallies = new Map([...tallies].filter(([handle]) => dropped.some((log) => log.member.handle === handle)));
  const totals = totalTallies(tallies);
  const droppedTotals = totalTallies(droppedTallies);
  return {
    name: 'reconnected followers: timeline holds each tweet once (API)',
    passed: offline.length === 0 && clean(totals),
    summary:
      `${dropped.length} sockets dropped and ${dropped.length - offline.filter((l) => dropped.includes(l)).length} reconnected; ` +
      `their timelines: ${counted(droppedTotals)}; all ${totals.holders} followers' timelines: ${counted(totals)}`,
    details: [...(totals.example ? [totals.example] : []), ...offline.slice(0, 3).map((log) => `${log.member.handle} is not connected at the end`)],
  };
}

/** Every author whose socket never dropped heard `fanout:done` exactly once for each of its jobs. */
export function checkFanoutDone(logs: readonly SocketLog[], ledger: Ledger): CheckResult {
  const steady = logs.filter(stayedConnected);
  const tallies = new Map<string, OnceTally>();
  for (const log of steady)
    tallies.set(
      log.member.handle,
      tallyOnce(
        (ledger.byAuthor.get(log.member.id) ?? []).map((t) => t.jobId),
        log.fanoutDone,
      ),
    );
  const totals = totalTallies(tallies);
  return {
    name: 'authors: each fanout:done once',
    passed: steady.length > 0 && clean(totals),
    summary: `${steady.length} of ${logs.length} author sockets never dropped; ${totals.expected} jobs: ${counted(totals)}`,
    details: totals.example ? [totals.example] : [],
  };
}
