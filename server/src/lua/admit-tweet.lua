--[[
  admit-tweet: accept one tweet, or refuse it, in a single atomic step.

  Why Lua: the idempotency check, the backlog check and every write (tweet, author's own
  timeline, job record, stream entry, idempotency record) must happen together. Two racing
  requests with one Idempotency-Key must never both create a tweet, and a refused tweet must
  leave nothing behind. A MULTI cannot branch on what it reads; a script can.

  KEYS[1] idempotency record (string "tweetSeq:jobId"; may be a dummy key when no header)
  KEYS[2] tweet sequence counter
  KEYS[3] job sequence counter
  KEYS[4] global follow sequence counter
  KEYS[5] author's followers (sorted set scored by follow sequence)
  KEYS[6] backlog counter (outstanding follower deliveries)
  KEYS[7] fan-out stream, small lane (jobs of one chunk)
  KEYS[8] author's own tweets (sorted set)
  KEYS[9] author's home timeline (list, newest first)
  KEYS[10] events stream (for the immediate fanout:done of a tweet nobody follows)
  KEYS[11] stats counters
  KEYS[12] fan-out stream, bulk lane (chunks of bigger jobs)
  KEYS[13] author's user record (hash; the handle is read here)

  ARGV[1] author id
  ARGV[2] tweet text
  ARGV[3] idempotency TTL in seconds; "0" when the request has no Idempotency-Key
  ARGV[4] FANOUT_MAX_BACKLOG
  ARGV[5] TIMELINE_MAX
  ARGV[6] tweet key prefix (the tweet hash is prefix .. seq)
  ARGV[7] job key prefix (the job hash is prefix .. id)
  ARGV[8] events stream approximate max length
  ARGV[9] digits of a tweet id (ids are zero-padded so they sort as strings)
  ARGV[10] FANOUT_CHUNK_SIZE: followers per stream entry
  ARGV[11] seconds a finished job record is kept
  ARGV[12] timeline length at which it is trimmed back to TIMELINE_MAX

  Returns one of
    {"new", tweetSeq, jobId, tweet, job}   tweet and job as flat HGETALL field lists, so the
    {"dup", tweetSeq, jobId, tweet, job}   answer needs no further round trip; "dup": the same
                                           key was seen before and nothing was written
    {"overloaded", backlog}                backlog above the limit: nothing written
    {"no-user"}                            the author's record is gone: nothing written

  Field names come from shared/src/records (USER, TWEET, JOB, STATS), idioms from
  shared/src/lua/includes.
]]

--- @include "time-ms"
--- @include "push-and-trim"
--- @include "user-record"
--- @include "tweet-record"
--- @include "job-record"
--- @include "stats-record"

local function answer(outcome, tweetSeq, jobId)
  return {outcome, tostring(tweetSeq), jobId,
    redis.call('HGETALL', ARGV[6] .. tweetSeq), redis.call('HGETALL', ARGV[7] .. jobId)}
end

local useIdempotency = ARGV[3] ~= '0'
if useIdempotency then
  local seen = redis.call('GET', KEYS[1])
  if seen then
    local sep = string.find(seen, ':', 1, true)
    return answer('dup', string.sub(seen, 1, sep - 1), string.sub(seen, sep + 1))
  end
end

local handle = redis.call('HGET', KEYS[13], USER.handle)
if not handle then
  return {'no-user'}
end

-- Admission is measured in deliveries, not stream entries: one celebrity tweet is a million
-- units of work. Admitting while the backlog is at or under the limit means the backlog can
-- pass it by at most one job.
local backlog = tonumber(redis.call('GET', KEYS[6]) or '0')
if backlog > tonumber(ARGV[4]) then
  redis.call('HINCRBY', KEYS[11], statsRefusedField('overloaded'), 1)
  return {'overloaded', backlog}
end

local nowMs = timeMs()

local tweetSeq = redis.call('INCR', KEYS[2])
-- The one write that can fail on damaged data (a timeline key of another type) comes first:
-- Redis does not undo a script's writes when it fails, and a skipped sequence number is harmless.
pushAndTrim(redis.call, KEYS[9], tweetSeq, tonumber(ARGV[5]), tonumber(ARGV[12]))
local jobId = tostring(redis.call('INCR', KEYS[3]))
local total = redis.call('ZCARD', KEYS[5])
-- Every follow takes its sequence number and joins the set in one atomic step, so the
-- followers at this moment are exactly those scored up to the current sequence.
local hi = redis.call('GET', KEYS[4]) or '0'

redis.call('HSET', ARGV[6] .. tweetSeq,
  TWEET.id, tweetSeq, TWEET.text, ARGV[2], TWEET.authorId, ARGV[1], TWEET.authorHandle, handle,
  TWEET.createdAt, nowMs)
redis.call('ZADD', KEYS[8], tweetSeq, tweetSeq)

local jobKey = ARGV[7] .. jobId
local chunkSize = tonumber(ARGV[10])
local chunks = math.max(1, math.ceil(total / chunkSize))
redis.call('HSET', jobKey,
  JOB.id, jobId, JOB.tweetSeq, tweetSeq, JOB.authorId, ARGV[1], JOB.status, 'queued',
  JOB.delivered, 0, JOB.total, total, JOB.enqueuedAt, nowMs,
  JOB.startedAt, '', JOB.finishedAt, '', JOB.error, '', JOB.chunksLeft, chunks)

if total == 0 then
  -- Nobody to deliver to: the job is done the moment it exists.
  redis.call('HSET', jobKey, JOB.status, 'done', JOB.chunksLeft, 0, JOB.startedAt, nowMs, JOB.finishedAt, nowMs)
  redis.call('EXPIRE', jobKey, ARGV[11])
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[8], '*', 'event', 'fanout:done', 'to', ARGV[1],
    'payload', cjson.encode({jobId = jobId, tweetId = string.format('%0' .. ARGV[9] .. 'd', tweetSeq),
      delivered = 0, total = 0, durationMs = 0}))
else
  redis.call('INCRBY', KEYS[6], total)
  -- One stream entry per chunk, so every running worker can share one big fan-out. Followers
  -- scored up to `hi` are exactly ranks 0 .. total-1, so chunk k ends at the score of rank
  -- k * chunkSize - 1: chunks of equal size, however sparse the scores are.
  local lane = KEYS[7]
  if chunks > 1 then
    lane = KEYS[12]
  end
  local lo = '0'
  for k = 1, chunks do
    local chunkHi = hi
    if k < chunks then
      chunkHi = redis.call('ZRANGE', KEYS[5], k * chunkSize - 1, k * chunkSize - 1, 'WITHSCORES')[2]
    end
    redis.call('XADD', lane, '*', 'job', jobId, 'tweet', tweetSeq, 'author', ARGV[1], 'lo', lo, 'hi', chunkHi)
    lo = chunkHi
  end
end

if useIdempotency then
  redis.call('SET', KEYS[1], tweetSeq .. ':' .. jobId, 'EX', ARGV[3])
end
redis.call('HINCRBY', KEYS[11], STATS.accepted, 1)

return answer('new', tweetSeq, jobId)
