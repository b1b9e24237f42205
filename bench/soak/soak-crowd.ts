import { mapWithLimit, syntheticBatches } from '../loadtest/crowd.js';
import type { RippleClient } from '../loadtest/ripple-client.js';
import type { PostPlan } from './post-plan.js';

/** A user the soak signed up. */
export interface SoakMember {
  id: string;
  handle: string;
  token: string;
}

export type AuthorGroup = 'large' | 'small' | 'calibration';

export interface SoakAuthor extends SoakMember {
  group: AuthorGroup;
  /** Synthetic followers given to it. */
  synthetic: number;
  /** Real followers who follow it. */
  real: number;
  /** Which server node (index into the stack's servers) it posts through. */
  node: number;
}

/** A real follower: signed up, holding a socket, following one large and one small author. */
export interface SoakFollower extends SoakMember {
  /** Ids of the authors it follows. */
  follows: string[];
  /** Which server node its socket is connected to. */
  node: number;
}

export interface SoakCrowd {
  runId: string;
  large: SoakAuthor[];
  small: SoakAuthor[];
  followers: SoakFollower[];
}

/** Parallel API calls during setup: quick, yet not a load test of sign-up. */
const SETUP_CONCURRENCY = 8;
const PASSWORD_PREFIX = 'soak-';

/** Handles of one run: `s<runId>_l<i>`, `s<runId>_s<i>`, `s<runId>_f<i>`, `s<runId>_cal`; at most 20 characters. */
export const soakHandles = {
  large: (runId: string, i: number) => `s${runId}_l${i}`,
  small: (runId: string, i: number) => `s${runId}_s${i}`,
  follower: (runId: string, i: number) => `s${runId}_f${i}`,
  calibration: (runId: string) => `s${runId}_cal`,
};

/** Signs up one member through `client`. */
export async function signUpMember(client: RippleClient, handle: string, runId: string): Promise<SoakMember> {
  const { user, token } = await client.signUp(handle, `${PASSWORD_PREFIX}${runId}`);
  return { id: user.id, handle: user.handle, token };
}

/** Adds `count` synthetic followers in as many calls as the API needs. */
export async function addSynthetic(client: RippleClient, member: SoakMember, count: number): Promise<void> {
  for (const batch of syntheticBatches(count)) await client.addSyntheticFollowers(member.token, batch);
}

/**
 * Signs up the authors of `plan` and `online` real followers, and wires the follows: follower
 * i follows large author i mod L and small author i mod S, between the first and second half
 * of each author's synthetic followers, so that real followers are neither first nor last
 * in a fan-out. Authors take turns between the two server nodes, and so do followers.
 */
export async function setUpSoakCrowd(clients: readonly RippleClient[], plan: PostPlan, online: number, runId: string): Promise<SoakCrowd> {
  const clientOf = (node: number) => clients[node % clients.length]!;
  const signUpAuthor = async (group: 'large' | 'small', synthetic: number, i: number): Promise<SoakAuthor> => {
    const node = i % clients.length;
    const member = await signUpMember(clientOf(node), soakHandles[group](runId, i), runId);
    return { ...member, group, synthetic, real: 0, node };
  };
  const large = await mapWithLimit(plan.large.audiences, SETUP_CONCURRENCY, (n, i) => signUpAuthor('large', n, i));
  const small = await mapWithLimit(plan.small.audiences, SETUP_CONCURRENCY, (n, i) => signUpAuthor('small', n, i));
  const followers = await mapWithLimit(
    Array.from({ length: online }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i): Promise<SoakFollower> => {
      const node = i % clients.length;
      const member = await signUpMember(clientOf(node), soakHandles.follower(runId, i), runId);
      return { ...member, follows: [large[i % large.length]!.id, small[i % small.length]!.id], node };
    },
  );

  const authors = [...large, ...small];
  const fans = new Map(authors.map((a) => [a.id, followers.filter((f) => f.follows.includes(a.id))]));
  await mapWithLimit(authors, SETUP_CONCURRENCY, async (author) => {
    const client = clientOf(author.node);
    const firstHalf = Math.floor(author.synthetic / 2);
    await addSynthetic(client, author, firstHalf);
    for (const fan of fans.get(author.id)!) await clientOf(fan.node).follow(fan.token, author.handle);
    await addSynthetic(client, author, author.synthetic - firstHalf);
    author.real = fans.get(author.id)!.length;
  });
  return { runId, large, small, followers };
}
