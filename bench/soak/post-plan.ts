/**
 * Who posts how often, so that the soak asks for a given number of deliveries per second.
 *
 * Two groups post side by side, each on its own constant-rate schedule, authors taking turns:
 * large authors (audiences over one fan-out chunk, the bulk lane) and small ones (one chunk,
 * the small lane). The large group carries `largeShare` of the deliveries; the small group the
 * rest, in many more tweets, each costing an HTTP request, a stream entry and a job for a few
 * deliveries: per delivery they are the expensive part of the load.
 */

/**
 * Most tweets one author posts in a run. Each real follower follows one large and one small
 * author, and TIMELINE_MAX is 800: 2 × 350 stays below it, so trimming never removes a tweet
 * the exactly-once check expects. Longer or faster runs get more authors instead.
 */
export const MAX_TWEETS_PER_AUTHOR = 350;
/**
 * Most tweets per second one author posts: well under the default posting limit (600 a
 * minute), so 429s come from real trouble, not from the plan.
 */
export const MAX_TWEETS_PER_AUTHOR_PER_S = 2;

export interface PostPlanInput {
  /** Follower deliveries per second to ask for. */
  deliveriesPerSecond: number;
  /** Seconds of posting. */
  postingS: number;
  /** Synthetic followers of the large authors, cycled through when more authors are needed. */
  largeAudiences: readonly number[];
  /** Range of synthetic followers of the small authors. */
  smallAudience: readonly [number, number];
  /**
   * Share of the deliveries that go to the large authors' tweets.
   * @defaultValue 0.8
   */
  largeShare?: number;
}

/** One group's authors and schedule. */
export interface GroupPlan {
  /** Synthetic followers of each author of the group. */
  audiences: number[];
  tweetsPerSecond: number;
  /** Tweets the schedule holds (what the open loop will fire). */
  tweets: number;
  /** Deliveries per second the schedule asks for. */
  deliveriesPerSecond: number;
}

export interface PostPlan {
  large: GroupPlan;
  small: GroupPlan;
  /** Most tweets any one author of the plan posts. */
  mostTweetsPerAuthor: number;
}

const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** `count` audiences spread evenly over [min, max], smallest first. */
export function spreadAudiences([min, max]: readonly [number, number], count: number): number[] {
  if (count === 1) return [Math.round((min + max) / 2)];
  return Array.from({ length: count }, (_, i) => Math.round(min + ((max - min) * i) / (count - 1)));
}

/** Authors a group needs so that none exceeds the per-author caps. */
const authorsNeeded = (tweetsPerSecond: number, postingS: number): number =>
  Math.max(1, Math.ceil(Math.round(tweetsPerSecond * postingS) / MAX_TWEETS_PER_AUTHOR), Math.ceil(tweetsPerSecond / MAX_TWEETS_PER_AUTHOR_PER_S));

/**
 * Plans one group: adds authors until none posts more than the caps allow. More authors can
 * shift the mean audience (and so the tweet rate), hence the loop; it settles in a step or two.
 */
function planGroup(deliveriesPerSecond: number, postingS: number, audiencesFor: (count: number) => number[], minAuthors: number): GroupPlan {
  let count = minAuthors;
  for (;;) {
    const audiences = audiencesFor(count);
    const tweetsPerSecond = deliveriesPerSecond / mean(audiences);
    const needed = authorsNeeded(tweetsPerSecond, postingS);
    if (needed <= audiences.length) {
      return { audiences, tweetsPerSecond, tweets: Math.round(tweetsPerSecond * postingS), deliveriesPerSecond };
    }
    count = needed;
  }
}

/** The authors and posting rates that ask for `deliveriesPerSecond` over `postingS`. */
export function planPosting(input: PostPlanInput): PostPlan {
  const { deliveriesPerSecond, postingS, largeAudiences, smallAudience } = input;
  const largeShare = input.largeShare ?? 0.8;
  const sizes = largeAudiences.length;
  // Whole turns of the size list, so the mean audience of the large group is the list's mean.
  const large = planGroup(
    deliveriesPerSecond * largeShare,
    postingS,
    (count) => Array.from({ length: Math.ceil(count / sizes) * sizes }, (_, i) => largeAudiences[i % sizes]!),
    sizes,
  );
  const small = planGroup(deliveriesPerSecond * (1 - largeShare), postingS, (count) => spreadAudiences(smallAudience, count), 1);
  const most = (group: GroupPlan) => Math.ceil(group.tweets / group.audiences.length);
  return { large, small, mostTweetsPerAuthor: Math.max(most(large), most(small)) };
}
