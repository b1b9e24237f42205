--[[
  admit-tweet: accept one tweet, or refuse it, in a single atomic step, in the author's bucket.

  Why Lua: the author's posting budget, the idempotency check, the backlog check and every
  write (tweet, author's own timeline, job record, stream entries, idempotency record) must
  happen together. Two racing requests with one Idempotency-Key must never both create a
  tweet, and a refused tweet must leave nothing behind. A MULTI cannot branch on what it reads;
  a script can. Every key is in the author's bucket, so on a Redis Cluster this runs on one
  master. Counting the budget here, not apart, spares every post a round trip.

  The audience is read from the author's audience hash: the follow sequence now (followers
  scored up to it are "the followers at posting") and the followers in each bucket. Each bucket
  with followers is cut into chunks of about FANOUT_CHUNK_SIZE by splitting (0, seq] into equal
  score ranges: ranges partition the followers exactly whatever their spread, and need no look
  at the bucket, which lives on another master. A tweet whose audience fits in one chunk gets
  one entry (on the small lane) naming one chunk per bucket; a bigger one one entry per chunk.

  Tweet and job ids come from the bucket's counters (next-id): the id says where the record is
  stored, and ids of different buckets sort by creation time. The tweet keeps its job's id and
  the follow sequence, which a delete needs to stop the fan-out and reach the same followers.

  Inline delivery: an audience of at most FANOUT_INLINE_MAX is delivered by the server inside the
  request (server/src/inline-delivery.ts), unless Redis is busy with small fan-outs already; its
  entry waits on the retry schedule meanwhile, for the workers should the server die
  (enqueue-fan-out says how that stays exactly once).

  Scheduled tweets (publishAt given): the tweet and a job reading "scheduled" are stored, and the
  tweet is put on the bucket's publish schedule, in no timeline; publish-scheduled.lua does the
  rest when it is due (and records its follow sequence then). Its id is final from the start and
  sorts at its publish time: the last tick (15) of the publishAt millisecond, which the counters
  never hand out (next-id), and the next millisecond's when another scheduled tweet of the bucket
  holds it. It spends the posting budget like any post, but the backlogs are not checked or
  counted for it now: it is no work until it is published (see publish-scheduled.lua).

  Fan-out on read: an author with more followers than FANOUT_ON_READ_THRESHOLD at posting is
  written to no follower's timeline; readers merge the author's own tweets (deliver-on-read).
  Such a tweet is no work, so it is held back by no backlog but the author's own share.

  KEYS[1] idempotency: idempotency record (string "bodyDigest:tweetId:jobId"; a dummy key when no header)
  KEYS[2] tweetSeq: tweet id counter of the bucket
  KEYS[3] jobSeq: job id counter of the bucket (kept, like the tweet ids', at or above the clock)
  KEYS[4] audience: author's audience (hash)
  KEYS[5] backlog: the bucket's backlog counter of tweets that are not small
  KEYS[6] smallLane: the bucket's fan-out stream, small lane
  KEYS[7] userTweets: author's own tweets (sorted set)
  KEYS[8] timeline: author's home timeline (list, newest first)
  KEYS[9] events: the bucket's events stream (for the immediate fanout:done of a tweet nobody follows)
  KEYS[10] stats: the bucket's stats counters
  KEYS[11] bulkLane: the bucket's fan-out stream, bulk lane
  KEYS[12] user: author's user record (hash; the handle is read here)
  KEYS[13] smallBacklog: the bucket's backlog counter of small tweets
  KEYS[14] authorBacklog: the author's backlog counter
  KEYS[15] postingBudget: the author's count of posts in this rate-limit window (RATE_LIMIT_TWEETS_PER_MIN)
  KEYS[16] publishSchedule: the bucket's publish schedule (sorted set: tweet id by publish ms)
  KEYS[17] scheduledBy: author's tweets waiting to be published (sorted set: tweet id by publish ms)
  KEYS[18] retrySchedule: the bucket's retry schedule, where an inline delivery waits to be taken over
  KEYS[19] onReadAuthors: the bucket's authors whose tweets went out on read (set)

  ARGV[1] authorId: author id
  ARGV[2] text: tweet text
  ARGV[3] idempotencyTtlS: idempotency TTL in seconds; "0" when the request has no Idempotency-Key
  ARGV[4] maxBacklog: FANOUT_MAX_BACKLOG
  ARGV[5] timelineMax: TIMELINE_MAX
  ARGV[6] tweetPrefix: tweet key prefix of the bucket (the tweet hash is prefix .. id)
  ARGV[7] jobPrefix: job key prefix of the bucket
  ARGV[8] eventsMaxLen: events stream approximate max length
  ARGV[9] tweetIdDigits: digits of a tweet id (ids are zero-padded so they sort as strings)
  ARGV[10] chunkSize: FANOUT_CHUNK_SIZE: followers per chunk
  ARGV[11] jobRetentionS: seconds a finished job record is kept
  ARGV[12] timelineTrimAt: timeline length at which it is trimmed back to TIMELINE_MAX
  ARGV[13] buckets: number of buckets
  ARGV[14] bucket: this bucket
  ARGV[15] otherBacklog: the other buckets' backlog of tweets that are not small, as last sampled ("0" on a
           single Redis: there are none)
  ARGV[16] otherSmallBacklog: the other buckets' backlog of small tweets, as last sampled
  ARGV[17] smallAudience: FANOUT_SMALL_AUDIENCE: a tweet to at most this many followers is small
  ARGV[18] maxSmallBacklog: FANOUT_MAX_SMALL_BACKLOG
  ARGV[19] maxAuthorBacklog: FANOUT_MAX_AUTHOR_BACKLOG
  ARGV[20] postsPerWindow: posts allowed per rate-limit window
  ARGV[21] postingBudgetTtlMs: how long the window's counter is kept (ms)
  ARGV[22] publishAt: ms to publish the tweet at; "0" to post it now
  ARGV[23] publishMinAheadMs: how far ahead publishAt must at least be
  ARGV[24] publishMaxAheadMs: how far ahead publishAt may at most be
  ARGV[25] inlineMax: FANOUT_INLINE_MAX: audiences up to this size are delivered inline; 0: never
  ARGV[26] inlineTakeoverMs: how long after admission the workers take over an inline delivery not finished
  ARGV[27] inlineBusyBacklog: small tweets' outstanding deliveries at which Redis counts as busy: no inline
  ARGV[28] onReadThreshold: FANOUT_ON_READ_THRESHOLD: an author with more followers goes out on read; "0": off
  ARGV[29] bodyDigest: digest of the normalised body, kept in the idempotency record (always the last)

  Returns one of
    {"new", tweetId, jobId, tweet, job}    tweet and job as flat HGETALL field lists, so the
    {"dup", tweetId, jobId, tweet, job}    answer needs no further round trip; "dup": the same
                                           key was seen before and nothing was written
    {"overloaded", bound, count}           a backlog at its bound: nothing written. bound is
                                           "author", "small" or "backlog"; count what it holds
    {"rate-limited"}                       past the author's posting budget: nothing written
                                           but the budget's counter and the refusal's
    {"no-user"}                            the author's record is gone: nothing written
    {"idempotency-mismatch"}               the key was used before with another body: nothing
                                           written
    {"publish-at", problem}                publishAt too close or too far on Redis's clock
                                           ("too-soon" or "too-far"): nothing written

  Field names come from shared/src/records, idioms from shared/src/lua/includes.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "push-and-trim"
--- @include "user-record"
--- @include "tweet-record"
--- @include "job-record"
--- @include "stats-record"
--- @include "audience-record"
--- @include "audience-chunks"
--- @include "next-id"
--- @include "fanout-entry-record"
--- @include "event-entry-record"
--- @include "done-at-once"
--- @include "enqueue-fan-out"
--- @include "deliver-on-read"

local function answer(outcome, tweetId, jobId)
  return {outcome, tweetId, jobId,
    redis.call('HGETALL', ARGV[6] .. tweetId), redis.call('HGETALL', ARGV[7] .. jobId)}
end

-- Every post spends the author's budget, first: a repeat of an Idempotency-Key too, as any
-- request does; one over it writes nothing but this count and the refusal's.
local posted = redis.call('INCR', KEYS[15])
if posted == 1 then
  redis.call('PEXPIRE', KEYS[15], ARGV[21])
end
if posted > tonumber(ARGV[20]) then
  redis.call('HINCRBY', KEYS[10], statsRefusedField('rate_limited'), 1)
  return {'rate-limited'}
end

local useIdempotency = ARGV[3] ~= '0'
local bodyDigest = ARGV[#ARGV]
if useIdempotency then
  local seen = redis.call('GET', KEYS[1])
  if seen then
    -- Compared here, not by the caller, so that two racing requests with one key and different
    -- bodies cannot both be told they match. A record from before digests ("tweetId:jobId",
    -- at most 24 h old) matches any body, as it always did.
    local digest, tweetId, jobId = string.match(seen, '^(.-):?([^:]+):([^:]+)$')
    if digest ~= '' and digest ~= bodyDigest then
      return {'idempotency-mismatch'}
    end
    return answer('dup', tweetId, jobId)
  end
end

local handle = redis.call('HGET', KEYS[12], USER.handle)
if not handle then
  return {'no-user'}
end

local buckets = tonumber(ARGV[13])
local bucket = tonumber(ARGV[14])
local publishAt = tonumber(ARGV[22])
if publishAt > 0 then
  local nowMs = timeMs()
  if publishAt < nowMs + tonumber(ARGV[23]) then return {'publish-at', 'too-soon'} end
  if publishAt > nowMs + tonumber(ARGV[24]) then return {'publish-at', 'too-far'} end
  local tweetId
  repeat
    tweetId = scheduledId(publishAt, buckets, bucket)
    publishAt = publishAt + 1
  until redis.call('EXISTS', ARGV[6] .. tweetId) == 0
  publishAt = publishAt - 1
  local jobId = nextId(KEYS[3], nowMs, buckets, bucket)
  redis.call('HSET', ARGV[6] .. tweetId,
    TWEET.id, tweetId, TWEET.text, ARGV[2], TWEET.authorId, ARGV[1], TWEET.authorHandle, handle,
    TWEET.createdAt, publishAt, TWEET.publishAt, publishAt, TWEET.job, jobId)
  redis.call('HSET', ARGV[7] .. jobId, JOB.id, jobId, JOB.tweetSeq, tweetId, JOB.authorId, ARGV[1], JOB.status, 'scheduled',
    JOB.delivered, 0, JOB.total, 0, JOB.enqueuedAt, nowMs, JOB.startedAt, '', JOB.finishedAt, '', JOB.error, '',
    JOB.chunkSize, ARGV[10], JOB.smallAudience, ARGV[17])
  if ARGV[28] ~= '0' then
    redis.call('HSET', ARGV[7] .. jobId, JOB.onReadThreshold, ARGV[28])
  end
  redis.call('ZADD', KEYS[16], publishAt, tweetId)
  redis.call('ZADD', KEYS[17], publishAt, tweetId)
  if useIdempotency then
    redis.call('SET', KEYS[1], bodyDigest .. ':' .. tweetId .. ':' .. jobId, 'EX', ARGV[3])
  end
  redis.call('HINCRBY', KEYS[10], STATS.accepted, 1)
  return answer('new', tweetId, jobId)
end

local hi, counts, total = readAudience(KEYS[4])
-- How the tweet travels (CONTRACT: on-read, then inline, then fan-out); counted below for the dashboard's mix.
local onReadThreshold = tonumber(ARGV[28])
local inlineMax = tonumber(ARGV[25])
local smallOutstanding = tonumber(redis.call('GET', KEYS[13]) or '0') + tonumber(ARGV[16])
local delivery = 'fan-out'
if onReadThreshold > 0 and total > onReadThreshold then
  delivery = 'on-read'
elseif total > 0 and total <= inlineMax and smallOutstanding < tonumber(ARGV[27]) then
  delivery = 'inline'
end

-- Admission is measured in deliveries, not stream entries: one celebrity tweet is a million
-- units of work. Three bounds, each admitting while its count is below it, so each is passed by
-- at most one tweet (the global two, on a cluster, also by the tweets admitted on other
-- masters within one sample): the author's own share, so no account can crowd out the others;
-- and one for small tweets and one for the rest, so big fan-outs never hold up a small tweet.
local function refuse(bound, count)
  redis.call('HINCRBY', KEYS[10], statsRefusedField('overloaded'), 1)
  return {'overloaded', bound, count}
end
local authorBacklog = tonumber(redis.call('GET', KEYS[14]) or '0')
-- An author with nothing outstanding always posts, whatever the bound (even 0).
if authorBacklog > 0 and authorBacklog >= tonumber(ARGV[19]) then
  return refuse('author', authorBacklog)
end
local small = total <= tonumber(ARGV[17])
local classKey = small and KEYS[13] or KEYS[5]
-- A tweet nobody follows, or one that goes out on read, adds no work to either: nothing to hold it back for.
if total > 0 and delivery ~= 'on-read' then
  local bound, limit, other = 'backlog', tonumber(ARGV[4]), tonumber(ARGV[15])
  if small then
    bound, limit, other = 'small', tonumber(ARGV[18]), tonumber(ARGV[16])
  end
  local backlog = tonumber(redis.call('GET', classKey) or '0') + other
  if backlog >= limit then
    return refuse(bound, backlog)
  end
end

local nowMs = timeMs()

local tweetId = nextId(KEYS[2], nowMs, buckets, bucket)
-- The one write that can fail on damaged data (a timeline key of another type) comes first:
-- Redis does not undo a script's writes when it fails, and a skipped id is harmless.
pushAndTrim(redis.call, KEYS[8], tweetId, tonumber(ARGV[5]), tonumber(ARGV[12]))
local jobId = nextId(KEYS[3], nowMs, buckets, bucket)

redis.call('HSET', ARGV[6] .. tweetId,
  TWEET.id, tweetId, TWEET.text, ARGV[2], TWEET.authorId, ARGV[1], TWEET.authorHandle, handle,
  TWEET.createdAt, nowMs, TWEET.job, jobId, TWEET.followSeq, integer(hi))
redis.call('ZADD', KEYS[7], tweetId, tweetId)

if delivery == 'on-read' then
  deliverOnRead({tweet = ARGV[6] .. tweetId, job = ARGV[7] .. jobId, events = KEYS[9], onReadAuthors = KEYS[19]},
    {jobId = jobId, tweetId = tweetId, authorId = ARGV[1], followSeq = hi, total = total, nowMs = nowMs,
      jobRetentionS = ARGV[11], eventsMaxLen = ARGV[8], tweetIdDigits = tonumber(ARGV[9])})
else
  enqueueFanOut(
    {job = ARGV[7] .. jobId, smallLane = KEYS[6], bulkLane = KEYS[11], events = KEYS[9], classBacklog = classKey, authorBacklog = KEYS[14],
      retrySchedule = KEYS[18]},
    {jobId = jobId, tweetId = tweetId, authorId = ARGV[1], followSeq = hi, counts = counts, total = total, small = small,
      nowMs = nowMs, chunkSize = tonumber(ARGV[10]), jobRetentionS = ARGV[11], eventsMaxLen = ARGV[8], tweetIdDigits = tonumber(ARGV[9]),
      delivery = delivery, takeoverAt = nowMs + tonumber(ARGV[26])})
end
if onReadThreshold > 0 then
  redis.call('HSET', ARGV[7] .. jobId, JOB.onReadThreshold, onReadThreshold)
end

if useIdempotency then
  redis.call('SET', KEYS[1], bodyDigest .. ':' .. tweetId .. ':' .. jobId, 'EX', ARGV[3])
end
redis.call('HINCRBY', KEYS[10], STATS.accepted, 1)
redis.call('HINCRBY', KEYS[10], statsDeliveryField(delivery), 1)

return answer('new', tweetId, jobId)
