--[[
  deliver-page: deliver one tweet to the next page of followers in one chunk of a job.

  Why Lua: a page's timeline writes, the chunk's cursor, the job's delivered count, the
  backlog and the events they cause must change together. A worker may die between any two
  commands; because this whole step is atomic and the cursor moves with the writes, a
  redelivered chunk resumes exactly where the last completed page ended: no timeline gets the
  tweet twice, no delivery is counted twice, and fanout:done is published exactly once (by
  the call that finishes the last chunk). Reading follower ids here also keeps them from
  travelling to Node and back: one redis.call per follower is the whole cost of a delivery.

  Job hash fields used (named in shared/src/records/job-record.ts, included here as JOB):
  status, total, delivered, chunksLeft, enqueuedAt, startedAt, finishedAt, lastProgressAt,
  lastProgressDelivered, the chunk's cursor (last follow sequence delivered, or "done") and its
  attempt. A job some chunk of which was given up on (status "failed") still delivers its other
  chunks, but is never reported done.

  Timeline keys are built from ARGV[6] .. follower id. They are not declared in KEYS: under
  Redis Cluster a chunk would be routed by a hash tag shared by follower ids of one slot group.

  KEYS[1] job hash
  KEYS[2] author's followers (sorted set scored by follow sequence)
  KEYS[3] online users (sorted set: user id → online until, ms)
  KEYS[4] backlog counter
  KEYS[5] events stream
  KEYS[6] stats counters
  KEYS[7] fan-out duration histogram
  KEYS[8] recent fan-out durations (list)

  ARGV[1] chunk cursor field name
  ARGV[2] chunk start, exclusive (follow sequence)
  ARGV[3] chunk end, inclusive (follow sequence)
  ARGV[4] page size
  ARGV[5] TIMELINE_MAX
  ARGV[6] timeline key prefix
  ARGV[7] tweet sequence (the timeline entry)
  ARGV[8] timeline:new payload (JSON)
  ARGV[9] job id
  ARGV[10] tweet id
  ARGV[11] author id
  ARGV[12] events stream approximate max length
  ARGV[13] progress interval in ms
  ARGV[14] seconds a finished job record is kept
  ARGV[15] histogram bucket upper bounds in ms, comma-separated, ascending
  ARGV[16] recent fan-out durations kept
  ARGV[17] timeline length at which it is trimmed back to TIMELINE_MAX
  ARGV[18] attempt number of this chunk, recorded as the chunk's attempt field (the highest seen)

  Returns {state, delivered, total}, state being
    "more"        the chunk has more followers to deliver
    "chunk-done"  this chunk is complete (now or earlier); other chunks may remain
    "job-done"    this call completed the whole job
    "missing"     no such job (expired, never existed, or an entry from a data set Redis lost:
                  a job of that id for another tweet is not this entry's job)
]]

--- @include "time-ms"
--- @include "push-and-trim"
--- @include "job-record"
--- @include "stats-record"
--- @include "fanout-durations-record"

local attemptField = jobAttemptField(ARGV[2])
local job = redis.call('HMGET', KEYS[1], JOB.status, JOB.total, JOB.delivered, JOB.enqueuedAt,
  JOB.lastProgressAt, JOB.lastProgressDelivered, ARGV[1], JOB.tweetSeq, attemptField)
if not job[1] or job[8] ~= ARGV[7] then
  return {'missing', 0, 0}
end
-- Only ever raised: a stale copy of the chunk racing a later attempt must not lower the count.
if tonumber(job[9] or '0') < tonumber(ARGV[18]) then
  redis.call('HSET', KEYS[1], attemptField, ARGV[18])
end
local total = tonumber(job[2])
local delivered = tonumber(job[3])
if job[7] == 'done' then
  return {'chunk-done', delivered, total}
end

local nowMs = timeMs()
if job[1] == 'queued' then
  redis.call('HSET', KEYS[1], JOB.status, 'running', JOB.startedAt, nowMs)
end
local failed = job[1] == 'failed'

local pageSize = tonumber(ARGV[4])
local page = redis.call('ZRANGE', KEYS[2], '(' .. (job[7] or ARGV[2]), ARGV[3],
  'BYSCORE', 'LIMIT', 0, pageSize, 'WITHSCORES')
local count = #page / 2

local timelineMax = tonumber(ARGV[5])
local trimAt = tonumber(ARGV[17])
local skipped = 0
for i = 1, #page, 2 do
  local timeline = ARGV[6] .. page[i]
  -- pcall: Redis does not undo a script's writes when it fails half-way, so a timeline key of
  -- the wrong type (damaged data) must not abort the page after other timelines were written.
  -- That follower is skipped and the page stays whole.
  if type(pushAndTrim(redis.pcall, timeline, ARGV[7], timelineMax, trimAt)) ~= 'number' then
    skipped = skipped + 1
  end
end

-- Which of these followers are online? Look from whichever side is smaller: usually a few
-- online users against a page of a thousand followers.
local online = {}
local onlineCount = count > 0 and redis.call('ZCARD', KEYS[3]) or 0
if onlineCount > 0 and onlineCount < count then
  local first, last = tonumber(page[2]), tonumber(page[#page])
  for _, user in ipairs(redis.call('ZRANGE', KEYS[3], '(' .. nowMs, '+inf', 'BYSCORE')) do
    local followedAt = redis.call('ZSCORE', KEYS[2], user)
    if followedAt and tonumber(followedAt) >= first and tonumber(followedAt) <= last then
      online[#online + 1] = user
    end
  end
elseif onlineCount > 0 then
  for i = 1, #page, 2 do
    local onlineUntil = redis.call('ZSCORE', KEYS[3], page[i])
    if onlineUntil and tonumber(onlineUntil) > nowMs then
      online[#online + 1] = page[i]
    end
  end
end

if count > 0 then
  -- Skipped followers are not delivered; their share of the backlog is released when the job ends.
  delivered = redis.call('HINCRBY', KEYS[1], JOB.delivered, count - skipped)
  redis.call('HSET', KEYS[1], ARGV[1], page[#page])
  redis.call('DECRBY', KEYS[4], count - skipped)
  redis.call('HINCRBY', KEYS[6], STATS.delivered, count - skipped)
end
if #online > 0 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[12], '*',
    'event', 'timeline:new', 'to', table.concat(online, ','), 'payload', ARGV[8])
end

local function publish(event, payload)
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[12], '*',
    'event', event, 'to', ARGV[11], 'payload', cjson.encode(payload))
end

if count == pageSize then
  -- Progress at least every 10 % of the job or every interval, whichever comes first.
  local lastAt = tonumber(job[5] or '0')
  local lastDelivered = tonumber(job[6] or '0')
  if not failed and (nowMs - lastAt >= tonumber(ARGV[13]) or (delivered - lastDelivered) * 10 >= total) then
    redis.call('HSET', KEYS[1], JOB.lastProgressAt, nowMs, JOB.lastProgressDelivered, delivered)
    publish('fanout:progress', {jobId = ARGV[9], tweetId = ARGV[10], delivered = delivered, total = total})
  end
  return {'more', delivered, total}
end

redis.call('HSET', KEYS[1], ARGV[1], 'done')
if redis.call('HINCRBY', KEYS[1], JOB.chunksLeft, -1) > 0 then
  return {'chunk-done', delivered, total}
end

-- Followers who unfollowed while the job waited, or whose chunk was given up on, were never
-- delivered; release their share of the backlog.
if total > delivered then
  redis.call('DECRBY', KEYS[4], total - delivered)
end
redis.call('EXPIRE', KEYS[1], ARGV[14])
if failed then
  return {'chunk-done', delivered, total}
end
redis.call('HSET', KEYS[1], JOB.status, 'done', JOB.finishedAt, nowMs)
local durationMs = nowMs - tonumber(job[4])
publish('fanout:done', {jobId = ARGV[9], tweetId = ARGV[10], delivered = delivered, total = total,
  durationMs = durationMs})

redis.call('HINCRBY', KEYS[6], STATS.jobsDone, 1)
local bucket = '+Inf'
for bound in string.gmatch(ARGV[15], '[^,]+') do
  if durationMs <= tonumber(bound) then
    bucket = bound
    break
  end
end
redis.call('HINCRBY', KEYS[7], durationsBucketField(bucket), 1)
redis.call('HINCRBY', KEYS[7], DURATIONS.sum, durationMs)
redis.call('HINCRBY', KEYS[7], DURATIONS.count, 1)
local recentKept = tonumber(ARGV[16])
pushAndTrim(redis.call, KEYS[8], nowMs .. ':' .. durationMs, recentKept, recentKept)
return {'job-done', delivered, total}
