import type { Crowd, Member } from './crowd.js';
import { DeliveryTracker } from './delivery-tracker.js';
import type { Arrival, Clock } from './open-loop.js';
import { RippleHttpError, RippleNetworkError, type RippleClient } from './ripple-client.js';

/** One group of authors whose measures are kept together: the crowd, the celebrity, or the attackers. */
export interface PostingGroup {
  tracker: DeliveryTracker;
  authors: Member[];
  /** Names the group in Idempotency-Keys and tweet texts. */
  name: 'crowd' | 'celebrity' | 'attacker';
  /** Aborting it gives up on every tweet of the group still being posted. */
  stop: AbortSignal;
  /** Why a tweet was given up on when `stop` aborted, for the notes. */
  stoppedBecause: () => string;
  /** Starts the group's lines of notes. */
  notePrefix: string;
}

/** The groups of one run: the crowd always, the celebrity and the attackers when asked for. */
export interface PostingGroups {
  main: PostingGroup;
  celebrity: PostingGroup | null;
  attack: PostingGroup | null;
  /** Every group of the run, the crowd first. */
  all: PostingGroup[];
  /** Author id → that author's group. */
  groupOfAuthor: Map<string, PostingGroup>;
}

export interface GroupSignals {
  /** Gives up on every tweet of the crowd and the celebrity (end of the drain, or Ctrl-C). */
  giveUp: AbortSignal;
  /** Gives up on the attackers' tweets: the attack lasts as long as the posting phase. */
  attackOver: AbortSignal;
  /** Why the crowd's and the celebrity's tweets were given up on, once `giveUp` aborted. */
  stoppedByDrain: () => string;
  /** Whether the run was interrupted (Ctrl-C). */
  interrupted: () => boolean;
}

/** Sorts the crowd's authors into posting groups, each with its own tracker. */
export function formPostingGroups(crowd: Crowd, signals: GroupSignals): PostingGroups {
  const main: PostingGroup = {
    tracker: new DeliveryTracker(),
    authors: crowd.authors,
    name: 'crowd',
    stop: signals.giveUp,
    stoppedBecause: signals.stoppedByDrain,
    notePrefix: '',
  };
  const celebrity: PostingGroup | null = crowd.celebrity
    ? {
        tracker: new DeliveryTracker(),
        authors: [crowd.celebrity],
        name: 'celebrity',
        stop: signals.giveUp,
        stoppedBecause: signals.stoppedByDrain,
        notePrefix: 'celebrity: ',
      }
    : null;
  const attack: PostingGroup | null =
    crowd.attackers.length > 0
      ? {
          tracker: new DeliveryTracker(),
          authors: crowd.attackers,
          name: 'attacker',
          stop: signals.attackOver,
          stoppedBecause: () => (signals.interrupted() ? 'interrupted' : 'still retrying when the attack ended'),
          notePrefix: 'attackers: ',
        }
      : null;
  const all = [main, ...(celebrity ? [celebrity] : []), ...(attack ? [attack] : [])];
  const groupOfAuthor = new Map<string, PostingGroup>();
  for (const group of all) for (const author of group.authors) groupOfAuthor.set(author.id, group);
  return { main, celebrity, attack, all, groupOfAuthor };
}

/** Why a tweet was given up on, in a few words, for the notes. */
function failureReason(error: unknown, group: PostingGroup): string {
  if (error instanceof RippleHttpError) return `${error.status} ${error.code}`;
  if (error instanceof RippleNetworkError) return `no answer (${error.message.replace(/^\/api\/tweets: /, '')})`;
  if (error instanceof Error && error.name === 'AbortError') return group.stoppedBecause();
  return error instanceof Error ? error.message : String(error);
}

const countInto = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** Fires the groups' tweets and keeps track of those still under way and of why others failed. */
export interface TweetPoster {
  /** Fires one tweet and lets it run its course; never awaited by the schedule. */
  post(group: PostingGroup, arrival: Arrival): void;
  /** Tweets still being posted (tries and waits included). */
  readonly inFlight: ReadonlySet<Promise<void>>;
  /** Why tweets were given up on, per group: reason → count. */
  readonly failures: ReadonlyMap<PostingGroup, ReadonlyMap<string, number>>;
}

export function tweetPoster(deps: { client: RippleClient; crowd: Crowd; groups: readonly PostingGroup[]; maxTries: number; clock: Clock }): TweetPoster {
  const { client, crowd, clock } = deps;
  const inFlight = new Set<Promise<void>>();
  const failures = new Map<PostingGroup, Map<string, number>>(deps.groups.map((group) => [group, new Map()]));
  function post(group: PostingGroup, arrival: Arrival): void {
    const author = group.authors[arrival.index % group.authors.length]!;
    const ticket = group.tracker.sending(arrival.intendedAt, crowd.audiences.get(author.id) ?? new Set(), arrival.second, clock.now());
    const attempt = client
      .postTweet(author.token, `load test ${crowd.runId}, ${group.name} tweet #${arrival.index}`, {
        // Unique per run, group and tweet, and the same for every try of this tweet.
        idempotencyKey: `lt${crowd.runId}-${group.name}-${arrival.index}`,
        maxTries: deps.maxTries,
        signal: group.stop,
        onRefused: (error) => group.tracker.refusal(error.status),
      })
      .then(
        ({ tweet }) => group.tracker.accepted(ticket, tweet.id, clock.now()),
        (error: unknown) => {
          group.tracker.gaveUp(ticket);
          countInto(failures.get(group)!, failureReason(error, group));
        },
      )
      .finally(() => inFlight.delete(attempt));
    inFlight.add(attempt);
  }
  return { post, inFlight, failures };
}
