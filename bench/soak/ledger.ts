import { seqFromTweetId } from '@ripple/shared';
import type { PostRecord } from './poster.js';
import type { SoakAuthor, SoakFollower } from './soak-crowd.js';

/** A tweet the soak holds a 202 for: the promise every check holds Ripple to. */
export interface AcceptedTweet {
  author: SoakAuthor;
  key: string;
  text: string;
  tweetId: string;
  /** The tweet's sequence number as timelines and stored records spell it. */
  seq: string;
  jobId: string;
}

/** Accepted tweets, looked up the ways the checks need them. */
export interface Ledger {
  accepted: AcceptedTweet[];
  byAuthor: Map<string, AcceptedTweet[]>;
  byTweetId: Map<string, AcceptedTweet>;
  /** Every tweet a follower should find, by follower id: those of the authors it follows. */
  expectedFor(follower: SoakFollower): AcceptedTweet[];
}

/** The ledger of every post that was answered 202. */
export function buildLedger(records: readonly PostRecord[]): Ledger {
  const accepted: AcceptedTweet[] = records
    .filter((r) => r.state === 'accepted')
    .map((r) => ({ author: r.author, key: r.key, text: r.text, tweetId: r.tweetId!, seq: String(seqFromTweetId(r.tweetId!)), jobId: r.jobId! }));
  const byAuthor = new Map<string, AcceptedTweet[]>();
  for (const tweet of accepted) {
    const list = byAuthor.get(tweet.author.id) ?? [];
    list.push(tweet);
    byAuthor.set(tweet.author.id, list);
  }
  return {
    accepted,
    byAuthor,
    byTweetId: new Map(accepted.map((t) => [t.tweetId, t])),
    expectedFor: (follower) => follower.follows.flatMap((authorId) => byAuthor.get(authorId) ?? []),
  };
}
