import { bucketTag, keys, type Layout } from '@ripple/shared';
import { keysOf, type RedisClient } from '@ripple/shared/node';

/**
 * Every key in the soak's Redis, sorted into the kinds `shared/src/keys.ts` names. Redis's
 * total memory grows by design (tweets, timelines); a leak is bookkeeping that nothing ever
 * removes. So: the kinds that must expire (job records, chunk cursors, idempotency keys,
 * rate-limit windows, limiter counters, pending rebuilds and the agreed settings) must all carry a TTL, and a key of no known kind is reported.
 *
 * Most keys carry a bucket tag `{b<n>}` (docs/cluster-design.md): a kind is matched whatever
 * its bucket, as long as the bucket is one of the data set's layout. A key tagged with a bucket
 * the layout does not have is of no known kind: nothing would ever read it.
 */

/** `must-expire`: every key of the kind needs a TTL. `kept`: lives as long as the data set. */
export type TtlRule = 'must-expire' | 'kept';

interface KeyKind {
  kind: string;
  ttl: TtlRule;
  /**
   * Matches every key of the kind: the whole key for a single key (one per bucket, for a
   * bucketed one), the fixed start for a family of keys. Group 1 is the bucket tag, if any.
   */
  pattern: RegExp;
  /** Length of the fixed part, so that the most specific pattern is tried first. */
  fixed: number;
}

/** Stands for an id (or any variable part but the bucket) when a sample key is built. */
const MARKER = '\u0000';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A sample key is built in bucket 0; its tag then stands for every bucket's. */
const SAMPLE_TAG = escapeRegExp(bucketTag(0));
const ANY_TAG = `(${SAMPLE_TAG.replace('0', '[0-9]+')})`;

/**
 * The kind of the keys like `sample`: a key built in bucket 0 with MARKER for its variable
 * parts. What comes before the first MARKER is the fixed part of a family; a sample without
 * MARKER is a single key.
 */
function kindOf(kind: string, ttl: TtlRule, sample: string): KeyKind {
  const cut = sample.indexOf(MARKER);
  const fixed = cut === -1 ? sample : sample.slice(0, cut);
  const tagged = escapeRegExp(fixed).split(SAMPLE_TAG);
  if (tagged.length > 2) throw new Error(`key ${JSON.stringify(sample)} has more than one bucket tag`);
  return { kind, ttl, pattern: new RegExp(`^${tagged.join(ANY_TAG)}${cut === -1 ? '$' : ''}`), fixed: fixed.length };
}

/** A family of keys of one bucket: `build(bucket, id, …)`. */
const family = (kind: string, ttl: TtlRule, build: (b: number, ...ids: string[]) => string) => kindOf(kind, ttl, build(0, MARKER, MARKER));
/** One key per bucket: `build(bucket)`. */
const perBucket = (kind: string, build: (b: number) => string) => kindOf(kind, 'kept', build(0));

const KINDS: readonly KeyKind[] = [
  family('job', 'must-expire', keys.job),
  /** A job's journey: expires with the job (journey-step.lua). */
  family('journey', 'must-expire', keys.journey),
  /** A job's chunk cursors in one bucket: kept as long as the job (deliver-page.lua). */
  family('cursor', 'must-expire', keys.cursor),
  family('idempotency', 'must-expire', keys.idempotency),
  family('rate-limit', 'must-expire', (b, name, userId) => keys.rateLimit(b, name, userId, 0)),
  /** Deleted by the returning user's rebuild, and expires should it never succeed (activity.ts). */
  family('rebuild-pending', 'must-expire', keys.rebuildPending),
  kindOf('limiter', 'must-expire', `${keys.limiter(MARKER)}:`),
  /** Held by the live processes and refreshed by them; it runs out once they are all gone. */
  kindOf('agreed-settings', 'must-expire', keys.agreedSettings),
  family('user', 'kept', keys.user),
  family('followers', 'kept', keys.followers),
  family('followers-v', 'kept', keys.followersVersion),
  family('audience', 'kept', keys.audience),
  family('following', 'kept', keys.following),
  family('timeline', 'kept', keys.timeline),
  family('user-tweets', 'kept', keys.userTweets),
  family('tweet', 'kept', keys.tweet),
  /** Emptied (so gone) as its tweets are published or cancelled. */
  family('scheduled-by', 'kept', keys.scheduledBy),
  /** Deleted when the author's outstanding deliveries are back at 0 (release-backlog.lua). */
  family('author-backlog', 'kept', keys.authorBacklog),
  ...Object.entries({
    handles: keys.handles,
    'seq:user': keys.userSeq,
    workers: keys.workers,
    'token-epoch': keys.tokenEpoch,
    /** One field per live process; a field no process has refreshed for 5 minutes is removed when read. */
    'process-cpu': keys.processCpu,
  }).map(([kind, key]) => kindOf(kind, 'kept', key)),
  ...Object.entries({
    'seq:tweet': keys.tweetSeq,
    'seq:job': keys.jobSeq,
    backlog: keys.backlog,
    'backlog-small': keys.smallBacklog,
    stats: keys.stats,
    'fanout-durations': keys.fanoutDurations,
    'recent-durations': keys.recentDurations,
    online: keys.online,
    'lane:small': (b: number) => keys.fanoutLanes(b).small,
    'lane:bulk': (b: number) => keys.fanoutLanes(b).bulk,
    'retry-schedule': keys.retrySchedule,
    'publish-schedule': keys.publishSchedule,
    /** Authors whose tweets went out on read: few, and kept while their unwritten tweets are. */
    'on-read-authors': keys.onReadAuthors,
    /** One member per user who ever signed up, for INACTIVE_AFTER_DAYS. */
    'last-active': keys.lastActive,
    'dead-letters': keys.deadLetterStream,
    events: keys.eventsStream,
  }).map(([kind, build]) => perBucket(kind, build)),
];

/** Most specific first, so that a family never takes a key of a longer one it is a prefix of. */
const BY_SPECIFICITY = [...KINDS].sort((a, b) => b.fixed - a.fixed);

/**
 * The kind of a key and its TTL rule, or null for a key no module owns, or one in a bucket
 * `layout` does not have.
 */
export function classifyKey(key: string, layout: Layout): { kind: string; ttl: TtlRule } | null {
  for (const k of BY_SPECIFICITY) {
    const match = k.pattern.exec(key);
    if (!match) continue;
    const tag = match[1];
    if (tag !== undefined && !layout.all.some((b) => bucketTag(b) === tag)) return null;
    return { kind: k.kind, ttl: k.ttl };
  }
  return null;
}

/** Keys of one kind. */
export interface KindCount {
  count: number;
  ttl: TtlRule;
  /** Keys of a must-expire kind without a TTL: the leak this census looks for. */
  withoutTtl: number;
  /** Shortest and longest remaining TTL (s) among must-expire keys that have one. */
  ttlMinS: number | null;
  ttlMaxS: number | null;
  /** A key without a TTL, to look at. */
  example: string | null;
}

export interface KeyCensus {
  totalKeys: number;
  kinds: Record<string, KindCount>;
  /** Keys of no known kind (at most 10 shown) and how many there were. */
  unknown: { count: number; examples: string[] };
}

const SCAN_COUNT = 5_000;

/**
 * Walks the whole key space once (SCAN, so Redis keeps serving) and reads TTLs where they
 * matter. SCAN walks one server: the soak's single Redis, whose layout has one bucket.
 */
export async function takeKeyCensus(redis: RedisClient): Promise<KeyCensus> {
  const { layout } = keysOf(redis);
  const census: KeyCensus = { totalKeys: 0, kinds: {}, unknown: { count: 0, examples: [] } };
  for (const k of KINDS) census.kinds[k.kind] = { count: 0, ttl: k.ttl, withoutTtl: 0, ttlMinS: null, ttlMaxS: null, example: null };

  // SCAN may return a key twice (while Redis resizes its tables); the counts that are compared
  // with the accepted tweets must not.
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const reply = await redis.scan(cursor, { COUNT: SCAN_COUNT });
    cursor = String(reply.cursor);
    const expiring: { key: string; kind: KindCount }[] = [];
    for (const key of reply.keys) {
      census.totalKeys += 1;
      const found = classifyKey(key, layout);
      if (!found) {
        census.unknown.count += 1;
        if (census.unknown.examples.length < 10) census.unknown.examples.push(key);
        continue;
      }
      const kind = census.kinds[found.kind]!;
      if (found.ttl === 'must-expire') {
        if (seen.has(key)) continue;
        seen.add(key);
        expiring.push({ key, kind });
      }
      kind.count += 1;
    }
    if (expiring.length === 0) continue;
    // One command each (they go out pipelined): keys of different buckets share no transaction.
    const ttls = await Promise.all(expiring.map(({ key }) => redis.ttl(key)));
    expiring.forEach(({ key, kind }, i) => {
      const ttl = Number(ttls[i]);
      // -1: no TTL. -2: gone since SCAN saw it (expired meanwhile), which is no leak.
      if (ttl === -1) {
        kind.withoutTtl += 1;
        kind.example ??= key;
      } else if (ttl >= 0) {
        kind.ttlMinS = Math.min(kind.ttlMinS ?? ttl, ttl);
        kind.ttlMaxS = Math.max(kind.ttlMaxS ?? ttl, ttl);
      }
    });
  } while (cursor !== '0');
  return census;
}
