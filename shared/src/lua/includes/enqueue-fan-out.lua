-- Reading a tweet's audience and putting its fan-out on the lanes: what admission does for a
-- tweet posted now and publish-scheduled.lua for a scheduled one coming due, written once.
-- Needs the integer, audience-record, job-record, fanout-entry-record and event-entry-record
-- includes before it.

-- The author's audience now, from the audience hash: the follow sequence (followers scored up
-- to it are "the followers at posting"), each bucket's follower count, and their sum.
local function readAudience(audienceKey)
  local fields = redis.call('HGETALL', audienceKey)
  local audience = {seq = 0, counts = {}, total = 0}
  local countPrefix = audienceCountField('')
  for i = 1, #fields, 2 do
    local field, value = fields[i], tonumber(fields[i + 1])
    if field == AUDIENCE.seq then
      audience.seq = value
    elseif string.sub(field, 1, #countPrefix) == countPrefix then
      audience.counts[#audience.counts + 1] = {tonumber(string.sub(field, #countPrefix + 1)), value}
      audience.total = audience.total + value
    end
  end
  return audience
end

-- Chunks as "bucket:lo:hi": a bucket with n followers is cut into ceil(n / chunkSize) score
-- ranges of equal width over (0, seq]. A bucket counted 0 still gets one: a follow there may
-- be written and its count not yet synced (follows.ts), and an empty page costs little.
-- They are listed round-robin over the buckets (each bucket's first range, then each one's
-- second, ...): workers take bulk chunks in stream order, and consecutive chunks of one bucket
-- would send every worker to the same master while the other masters idle.
local function audienceChunks(audience, chunkSize)
  local hi = audience.seq
  local ranges = {}
  local mostParts = 0
  for _, entry in ipairs(audience.counts) do
    local parts = math.min(math.max(1, math.ceil(entry[2] / chunkSize)), hi)
    local own = {}
    local lo = 0
    for k = 1, parts do
      local upper = math.floor(hi * k / parts)
      own[k] = entry[1] .. ':' .. integer(lo) .. ':' .. integer(upper)
      lo = upper
    end
    ranges[#ranges + 1] = own
    mostParts = math.max(mostParts, parts)
  end
  local chunks = {}
  for k = 1, mostParts do
    for _, own in ipairs(ranges) do
      if own[k] then chunks[#chunks + 1] = own[k] end
    end
  end
  return chunks
end

-- Records the post job of tweet a.tweetId as queued at a.nowMs and appends its fan-out: one
-- entry on the small lane for an audience that fits in one chunk, else one entry per chunk on
-- the bulk lane; a tweet nobody follows is done at once. Its deliveries are counted on the
-- backlogs (k.classBacklog: the small or the other one, as a.small says; and the author's).
--   k: job, smallLane, bulkLane, events, classBacklog, authorBacklog
--   a: jobId, tweetId, authorId, audience (readAudience), small, nowMs, chunkSize, jobRetentionS,
--      eventsMaxLen, tweetIdDigits
local function enqueueFanOut(k, a)
  local chunks = audienceChunks(a.audience, a.chunkSize)
  local total = a.audience.total
  redis.call('HSET', k.job,
    JOB.id, a.jobId, JOB.tweetSeq, a.tweetId, JOB.authorId, a.authorId, JOB.status, 'queued',
    JOB.delivered, 0, JOB.total, total, JOB.enqueuedAt, a.nowMs,
    JOB.startedAt, '', JOB.finishedAt, '', JOB.error, '', JOB.chunksLeft, #chunks, JOB.small, a.small and 1 or 0)

  if #chunks == 0 then
    -- Nobody to deliver to, not even a follow on its way: the job is done the moment it exists.
    redis.call('HSET', k.job, JOB.status, 'done', JOB.total, 0, JOB.startedAt, a.nowMs, JOB.finishedAt, a.nowMs)
    redis.call('EXPIRE', k.job, a.jobRetentionS)
    redis.call('XADD', k.events, 'MAXLEN', '~', a.eventsMaxLen, '*', EVENT.event, 'fanout:done', EVENT.to, a.authorId,
      EVENT.payload, cjson.encode({jobId = a.jobId, tweetId = string.rep('0', a.tweetIdDigits - #a.tweetId) .. a.tweetId,
        delivered = 0, total = 0, durationMs = 0}))
    return total
  end
  -- Only work counts: an author's counter exists only while they have deliveries outstanding.
  if total > 0 then
    redis.call('INCRBY', k.classBacklog, total)
    redis.call('INCRBY', k.authorBacklog, total)
  end
  if total <= a.chunkSize then
    redis.call('XADD', k.smallLane, '*', ENTRY.job, a.jobId, ENTRY.tweet, a.tweetId, ENTRY.author, a.authorId, ENTRY.chunks, table.concat(chunks, ' '))
  else
    for _, chunk in ipairs(chunks) do
      redis.call('XADD', k.bulkLane, '*', ENTRY.job, a.jobId, ENTRY.tweet, a.tweetId, ENTRY.author, a.authorId, ENTRY.chunks, chunk)
    end
  end
  return total
end
