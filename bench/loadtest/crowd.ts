import { randomBytes } from 'node:crypto';
import { SYNTHETIC_FOLLOWERS_MAX } from '@ripple/shared';
import type { RippleClient } from './ripple-client.js';

/** One signed-up user of the run. */
export interface Member {
  id: string;
  handle: string;
  token: string;
}

/** The users one run drives, all created through the public API for this run alone. */
export interface Crowd {
  /** Random per run; every handle starts with `lt<runId>_`. */
  runId: string;
  authors: Member[];
  /** Followers with live sockets. */
  online: Member[];
  /** The extra author with a huge audience, when asked for. */
  celebrity: Member | null;
  /**
   * Big accounts that post at their rate limit to crowd the others out. Only synthetic users
   * follow them: what an attack does to the others is the measure, not the attackers' delivery.
   */
  attackers: Member[];
  /** Author id → ids of the online users who follow that author. */
  audiences: Map<string, ReadonlySet<string>>;
}

export interface CrowdPlan {
  authors: number;
  /** Synthetic followers per author. */
  followers: number;
  online: number;
  /** Synthetic followers of the celebrity; 0 for none. */
  celebrityFollowers: number;
  attackers: number;
  /** Synthetic followers of each attacker. */
  attackerFollowers: number;
}

/** Parallel API calls during setup: enough to be quick, few enough not to be a load test of sign-up. */
const SETUP_CONCURRENCY = 8;

/** A fresh run id: 6 characters of [a-z0-9], so handles stay well within 20 characters. */
export const newRunId = (): string => [...randomBytes(6)].map((byte) => (byte % 36).toString(36)).join('');

/** The handles of one run: `lt<runId>_a<i>`, `lt<runId>_o<i>`, `lt<runId>_c`, `lt<runId>_x<i>`. */
export const handles = {
  author: (runId: string, i: number) => `lt${runId}_a${i}`,
  online: (runId: string, i: number) => `lt${runId}_o${i}`,
  celebrity: (runId: string) => `lt${runId}_c`,
  attacker: (runId: string, i: number) => `lt${runId}_x${i}`,
};

/** Sizes of the `POST /api/me/followers/synthetic` calls for `count` followers (≤ 1 000 000 each). */
export function syntheticBatches(count: number): number[] {
  const batches: number[] = [];
  for (let left = count; left > 0; left -= SYNTHETIC_FOLLOWERS_MAX) batches.push(Math.min(left, SYNTHETIC_FOLLOWERS_MAX));
  return batches;
}

/** Runs `task` over `items` with at most `limit` at a time; results in input order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

async function addSynthetic(client: RippleClient, member: Member, count: number): Promise<void> {
  for (const batch of syntheticBatches(count)) await client.addSyntheticFollowers(member.token, batch);
}

/**
 * Gives `author` its audience: half its synthetic followers, then its online followers, then
 * the rest. Fan-out walks followers in the order they followed, so online followers in the
 * middle see a tweet about half-way through its fan-out, as a typical follower would, rather
 * than first (flattering) or last (the same as `complete`).
 */
async function buildAudience(client: RippleClient, author: Member, synthetic: number, onlineFollowers: readonly Member[]): Promise<void> {
  const firstHalf = Math.floor(synthetic / 2);
  await addSynthetic(client, author, firstHalf);
  await mapWithLimit(onlineFollowers, SETUP_CONCURRENCY, (follower) => client.follow(follower.token, author.handle));
  await addSynthetic(client, author, synthetic - firstHalf);
}

/**
 * Signs up a fresh crowd and wires its follows: online user i follows author i % authors, and
 * every online user follows the celebrity, so the celebrity's deliveries are measured too.
 */
export async function setUpCrowd(client: RippleClient, plan: CrowdPlan, runId: string = newRunId()): Promise<Crowd> {
  // One password for the run: these accounts are throwaway, and never signed in to again.
  const password = `loadtest-${runId}`;
  const signUp = async (handle: string): Promise<Member> => {
    const { user, token } = await client.signUp(handle, password);
    return { id: user.id, handle: user.handle, token };
  };

  const authors = await mapWithLimit(
    Array.from({ length: plan.authors }, (_, i) => handles.author(runId, i)),
    SETUP_CONCURRENCY,
    signUp,
  );
  const online = await mapWithLimit(
    Array.from({ length: plan.online }, (_, i) => handles.online(runId, i)),
    SETUP_CONCURRENCY,
    signUp,
  );
  const celebrity = plan.celebrityFollowers > 0 ? await signUp(handles.celebrity(runId)) : null;
  const attackers = await mapWithLimit(
    Array.from({ length: plan.attackers }, (_, i) => handles.attacker(runId, i)),
    SETUP_CONCURRENCY,
    signUp,
  );

  const audiences = new Map<string, ReadonlySet<string>>();
  const followersOf = authors.map((_, a) => online.filter((_, i) => i % authors.length === a));
  authors.forEach((author, a) => audiences.set(author.id, new Set(followersOf[a]!.map((m) => m.id))));
  if (celebrity) audiences.set(celebrity.id, new Set(online.map((m) => m.id)));
  for (const attacker of attackers) audiences.set(attacker.id, new Set());

  await Promise.all([
    mapWithLimit(authors, SETUP_CONCURRENCY, (author, a) => buildAudience(client, author, plan.followers, followersOf[a]!)),
    celebrity ? buildAudience(client, celebrity, plan.celebrityFollowers, online) : Promise.resolve(),
    mapWithLimit(attackers, SETUP_CONCURRENCY, (attacker) => addSynthetic(client, attacker, plan.attackerFollowers)),
  ]);
  return { runId, authors, online, celebrity, attackers, audiences };
}
