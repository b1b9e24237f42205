import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';
import { mapWithLimit } from '../loadtest/crowd.js';
import type { RippleClient } from '../loadtest/ripple-client.js';
import { CHECK_CONCURRENCY, readAllPages, type CheckResult } from './checks.js';
import type { Ledger } from './ledger.js';
import type { SoakAuthor, SoakFollower } from './soak-crowd.js';
import { stayedConnected, type SocketLog } from './socket-log.js';
import { tallyOnce, totalTallies, type OnceTally, type TallyTotals } from './tally.js';

const counted = (t: TallyTotals) => `${t.missing} missing, ${t.doubled} more than once, ${t.unexpected} unexpected`;
const clean = (t: TallyTotals) => t.wrong === 0;

/** Reads whole timelines from Redis, 1 000 per round trip. */
async function readTimelines(redis: RedisClient, userIds: readonly string[]): Promise<string[][]> {
  const all: string[][] = [];
  for (let i = 0; i < userIds.length; i += 1000) {
    const pipeline = redis.multi();
    for (const id of userIds.slice(i, i + 1000)) pipeline.lRange(keys.timeline(id), 0, -1);
    all.push(...((await pipeline.execAsPipeline()) as unknown as string[][]));
  }
  return all;
}

/** Every real follower's home timeline, read from Redis, holds each tweet of the authors it follows exactly once. */
export async function checkRealTimelines(redis: RedisClient, followers: readonly SoakFollower[], ledger: Ledger): Promise<CheckResult> {
  const timelines = await readTimelines(redis, followers.map((f) => f.id));
  const tallies = new Map<string, OnceTally>();
  followers.forEach((f, i) => tallies.set(f.handle, tallyOnce(ledger.expectedFor(f).map((t) => t.seq), timelines[i]!)));
  const totals = totalTallies(tallies);
  return {
    name: 'real followers: timeline holds each tweet once (Redis)',
    passed: clean(totals),
    summary: `${totals.holders} timelines, ${totals.expected} entries expected: ${counted(totals)}`,
    details: totals.example ? [totals.example] : [],
  };
}

/** Random extra followers sampled per author, beside the first, the last and the chunk boundaries. */
const RANDOM_SAMPLE = 25;

/**
 * Synthetic followers' timelines, sampled: per author the first and last follower, the two on
 * either side of every chunk boundary (where a resumed or raced chunk would double or drop
 * one), and a few at random; each must hold each of the author's tweets exactly once.
 */
export async function checkSyntheticSample(redis: RedisClient, authors: readonly SoakAuthor[], ledger: Ledger, chunkSize: number, realIds: ReadonlySet<string>): Promise<CheckResult> {
  const tallies = new Map<string, OnceTally>();
  await mapWithLimit(authors, 4, async (author) => {
    const count = await redis.zCard(keys.followers(author.id));
    const ranks = new Set<number>([0, count - 1]);
    for (let boundary = chunkSize; boundary < count; boundary += chunkSize) ranks.add(boundary - 1).add(boundary);
    for (let i = 0; i < RANDOM_SAMPLE; i++) ranks.add(Math.floor(Math.random() * count));
    const pipeline = redis.multi();
    for (const rank of ranks) pipeline.zRange(keys.followers(author.id), rank, rank);
    const ids = ((await pipeline.execAsPipeline()) as unknown as string[][]).flat().filter((id) => !realIds.has(id));
    const timelines = await readTimelines(redis, ids);
    const expected = (ledger.byAuthor.get(author.id) ?? []).map((t) => t.seq);
    ids.forEach((id, i) => tallies.set(`${author.handle}'s follower ${id}`, tallyOnce(expected, timelines[i]!)));
  });
  const totals = totalTallies(tallies);
  return {
    name: 'synthetic followers: sampled timelines hold each tweet once (Redis)',
    passed: clean(totals),
    summary: `${totals.holders} timelines (chunk edges, ends, random) of ${authors.length} authors: ${counted(totals)}`,
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
  for (const log of steady) tallies.set(log.member.handle, tallyOnce(ledger.expectedFor(followers.get(log.member.id)!).map((t) => t.tweetId), log.timelineNew));
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
export async function checkCatchUp(clientOf: (node: number) => RippleClient, logs: readonly SocketLog[], followers: ReadonlyMap<string, SoakFollower>, ledger: Ledger): Promise<CheckResult> {
  const dropped = logs.filter((log) => !stayedConnected(log));
  const offline = logs.filter((log) => !log.socket.connected);
  const tallies = new Map<string, OnceTally>();
  await mapWithLimit(logs, CHECK_CONCURRENCY, async (log) => {
    const follower = followers.get(log.member.id)!;
    const seen = await readAllPages((page) => clientOf(follower.node).homeTimeline(follower.token, page));
    tallies.set(follower.handle, tallyOnce(ledger.expectedFor(follower).map((t) => t.tweetId), seen));
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
  for (const log of steady) tallies.set(log.member.handle, tallyOnce((ledger.byAuthor.get(log.member.id) ?? []).map((t) => t.jobId), log.fanoutDone));
  const totals = totalTallies(tallies);
  return {
    name: 'authors: each fanout:done once',
    passed: steady.length > 0 && clean(totals),
    summary: `${steady.length} of ${logs.length} author sockets never dropped; ${totals.expected} jobs: ${counted(totals)}`,
    details: totals.example ? [totals.example] : [],
  };
}
