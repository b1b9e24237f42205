import { keys } from '@ripple/shared';
import type { RedisClient } from '@ripple/shared/node';

/**
 * Every key in the soak's Redis, sorted into the kinds `shared/src/keys.ts` names. Redis's
 * total memory grows by design (tweets, timelines); a leak is bookkeeping that nothing ever
 * removes. So: the kinds that must expire (job records, idempotency keys, rate-limit windows)
 * must all carry a TTL, and a key of no known kind is reported.
 */

/** `must-expire`: every key of the kind needs a TTL. `kept`: lives as long as the data set. */
export type TtlRule = 'must-expire' | 'kept';

interface KeyKind {
  kind: string;
  ttl: TtlRule;
  /** Exact key, or the prefix of a family of keys. */
  exact?: string;
  prefix?: string;
}

/** The fixed part of a key family, found by building one key with a marker for its variable parts. */
function prefixOf(build: (...parts: string[]) => string): string {
  const marker = '\u0000';
  const key = build(marker, marker, marker);
  return key.slice(0, key.indexOf(marker));
}

const KINDS: readonly KeyKind[] = [
  { kind: 'job', ttl: 'must-expire', prefix: prefixOf(keys.job) },
  { kind: 'idempotency', ttl: 'must-expire', prefix: prefixOf(keys.idempotency) },
  { kind: 'rate-limit', ttl: 'must-expire', prefix: prefixOf((a, b) => keys.rateLimit(a!, b!, 0)) },
  { kind: 'user', ttl: 'kept', prefix: prefixOf(keys.user) },
  { kind: 'followers', ttl: 'kept', prefix: prefixOf(keys.followers) },
  { kind: 'following', ttl: 'kept', prefix: prefixOf(keys.following) },
  { kind: 'timeline', ttl: 'kept', prefix: prefixOf(keys.timeline) },
  { kind: 'user-tweets', ttl: 'kept', prefix: prefixOf(keys.userTweets) },
  { kind: 'tweet', ttl: 'kept', prefix: prefixOf(keys.tweet) },
  ...Object.entries({
    handles: keys.handles,
    'seq:user': keys.seq.user,
    'seq:tweet': keys.seq.tweet,
    'seq:job': keys.seq.job,
    'seq:follow': keys.seq.follow,
    backlog: keys.backlog,
    stats: keys.stats,
    'fanout-durations': keys.fanoutDurations,
    'recent-durations': keys.recentDurations,
    workers: keys.workers,
    online: keys.online,
    'token-secret': keys.tokenSecret,
    'token-epoch': keys.tokenEpoch,
    'lane:small': keys.fanoutLanes.small,
    'lane:bulk': keys.fanoutLanes.bulk,
    'retry-schedule': keys.retrySchedule,
    'dead-letters': keys.deadLetterStream,
    events: keys.eventsStream,
  }).map(([kind, exact]): KeyKind => ({ kind, ttl: 'kept', exact })),
];

/** Longest prefix first, so that `ripple:tweets-by:` is never taken for `ripple:tweet:`… */
const PREFIXED = KINDS.filter((k) => k.prefix).sort((a, b) => b.prefix!.length - a.prefix!.length);
const EXACT = new Map(KINDS.filter((k) => k.exact).map((k) => [k.exact!, k]));

/** The kind of a key and its TTL rule, or null for a key no module owns. */
export function classifyKey(key: string): { kind: string; ttl: TtlRule } | null {
  const exact = EXACT.get(key);
  if (exact) return { kind: exact.kind, ttl: exact.ttl };
  const family = PREFIXED.find((k) => key.startsWith(k.prefix!));
  return family ? { kind: family.kind, ttl: family.ttl } : null;
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

/** Walks the whole key space once (SCAN, so Redis keeps serving) and reads TTLs where they matter. */
export async function takeKeyCensus(redis: RedisClient): Promise<KeyCensus> {
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
      const found = classifyKey(key);
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
    const pipeline = redis.multi();
    for (const { key } of expiring) pipeline.ttl(key);
    const ttls = (await pipeline.execAsPipeline()) as unknown as number[];
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
