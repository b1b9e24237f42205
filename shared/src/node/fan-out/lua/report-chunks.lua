--[[
  report-chunks: record what pages delivered in chunks of a job, in the job's (author's) bucket,
  and finish the job when its last chunk is complete.

  Why Lua: the job's delivered count, its chunks left, its status and the one fanout:done it
  publishes must change together, and a report may arrive twice (a worker that died after
  reporting, before acking) or late (a stalled worker's copy of a chunk). Reports are
  cumulative per chunk and only ever raise what the job holds for it, and a chunk is counted
  complete once: so repeats change nothing, and fanout:done is published exactly once, by the
  report that completes the last chunk.

  KEYS[1] job: job hash
  KEYS[2] backlog: the bucket's backlog counter of tweets that are not small
  KEYS[3] events: the bucket's events stream
  KEYS[4] stats: the bucket's stats counters
  KEYS[5] durations: the bucket's fan-out duration histogram
  KEYS[6] recentDurations: the bucket's recent fan-out durations (list)
  KEYS[7] smallBacklog: the bucket's backlog counter of small tweets
  KEYS[8] authorBacklog: the author's backlog counter
  KEYS[9] retrySchedule: the bucket's retry schedule, where an inline job's entry waits to be taken over
  KEYS[10] journey: the job's journey (list)

  ARGV[1] tweetSeq: tweet id the report is for (a job of that id for another tweet is not this job)
  ARGV[2] tweetId: tweet id as the API shows it
  ARGV[3] authorId: author id
  ARGV[4] progressIntervalMs: progress interval in ms
  ARGV[5] jobRetentionS: seconds a finished job record is kept
  ARGV[6] durationBoundsMs: histogram bucket upper bounds in ms, comma-separated, ascending
  ARGV[7] recentKept: recent fan-out durations kept
  ARGV[8] eventsMaxLen: events stream approximate max length
  ARGV[9] attempt: attempt number of the entry the chunks came in, recorded per chunk (the highest seen)
  ARGV[10] worker: the reporting worker's consumer name
  ARGV[11] runStartedAt: ms the worker started this run of the entry, on the first report of the run; "0" on later ones
  ARGV[12] journeyMaxSteps: steps a journey keeps
  ARGV[13], ARGV[14], ARGV[15], ARGV[16], … reports: for each chunk: chunk id, delivered so far, "1" when
           complete, inactive followers left out so far

  Inactive followers left out (INACTIVE_AFTER_DAYS) leave the job's total as they are reported:
  total counts the timelines the job writes, skipped those it leaves out, and their share of the
  backlogs is released then, as they will never be delivered.

  Returns {state, delivered, total}, state being
    "running"     chunks remain
    "job-done"    the job is finished (by this call or an earlier one)
    "missing"     no such job (expired, never existed, or from a data set Redis lost)
]]

--- @include "time-ms"
--- @include "push-and-trim"
--- @include "job-record"
--- @include "stats-record"
--- @include "fanout-durations-record"
--- @include "event-entry-record"
--- @include "release-backlog"
--- @include "journey-record"
--- @include "journey-step"

local job = redis.call('HMGET', KEYS[1], JOB.status, JOB.total, JOB.delivered, JOB.enqueuedAt,
  JOB.lastProgressAt, JOB.lastProgressDelivered, JOB.chunksLeft, JOB.tweetSeq, JOB.small, JOB.skipped)
if not job[1] or job[8] ~= ARGV[1] then
  return {'missing', 0, 0}
end
local total = tonumber(job[2])
local delivered = tonumber(job[3])
local chunksLeft = tonumber(job[7])
local nowMs = timeMs()
if job[1] == 'queued' then
  redis.call('HSET', KEYS[1], JOB.status, 'running', JOB.startedAt, nowMs)
end
-- A run that starts after the job has ended (a stale copy of an entry, taken over too late to
-- matter) is no step of the job's life: the journey ends with the job.
local ended = job[1] == 'done' or job[1] == 'failed'
if ARGV[11] ~= '0' and not ended then
  local chunks = {}
  for i = 13, #ARGV, 4 do
    chunks[#chunks + 1] = ARGV[i]
  end
  recordJourneyStep(KEYS[10], KEYS[1], {[STEP.kind] = 'started', [STEP.at] = tonumber(ARGV[11]), [STEP.worker] = ARGV[10],
    [STEP.attempt] = tonumber(ARGV[9]), [STEP.chunks] = table.concat(chunks, ' ')}, tonumber(ARGV[12]))
end

-- Deliveries come off the backlogs as they are reported. A job already ended has released its
-- whole audience; it can still gain deliveries (a stale copy of a chunk that was given up on,
-- still running), which then release nothing more.
local function release(n)
  releaseBacklog(KEYS[7], KEYS[2], KEYS[8], job[9], n)
end
local endedBefore = chunksLeft <= 0
local gained, finished, newlySkipped = 0, 0, 0
for i = 13, #ARGV, 4 do
  local chunk, count = ARGV[i], tonumber(ARGV[i + 1])
  local skippedSoFar = tonumber(ARGV[i + 3])
  local skippedBefore = tonumber(redis.call('HGET', KEYS[1], jobSkippedField(chunk)) or '0')
  if skippedSoFar > skippedBefore then
    redis.call('HSET', KEYS[1], jobSkippedField(chunk), skippedSoFar)
    newlySkipped = newlySkipped + skippedSoFar - skippedBefore
  end
  local reported = tonumber(redis.call('HGET', KEYS[1], jobReportedField(chunk)) or '0')
  if count > reported then
    redis.call('HSET', KEYS[1], jobReportedField(chunk), count)
    gained = gained + count - reported
  end
  -- Only ever raised: a stale copy of the chunk racing a later attempt must not lower it.
  if tonumber(redis.call('HGET', KEYS[1], jobAttemptField(chunk)) or '0') < tonumber(ARGV[9]) then
    redis.call('HSET', KEYS[1], jobAttemptField(chunk), ARGV[9])
  end
  if ARGV[i + 2] == '1' and redis.call('HSETNX', KEYS[1], jobFinishedField(chunk), 1) == 1 then
    finished = finished + 1
  end
end
if gained > 0 then
  delivered = redis.call('HINCRBY', KEYS[1], JOB.delivered, gained)
  if not endedBefore then
    release(gained)
  end
end
if newlySkipped > 0 then
  redis.call('HINCRBY', KEYS[1], JOB.skipped, newlySkipped)
  -- An ended job has settled its total (= delivered) and released its whole audience.
  if not endedBefore then
    total = redis.call('HINCRBY', KEYS[1], JOB.total, -newlySkipped)
    release(newlySkipped)
  end
end
if finished > 0 then
  chunksLeft = redis.call('HINCRBY', KEYS[1], JOB.chunksLeft, -finished)
end

local failed = job[1] == 'failed'
local function publish(event, payload)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*',
    EVENT.event, event, EVENT.to, ARGV[3], EVENT.payload, cjson.encode(payload))
end

if chunksLeft > 0 or finished == 0 then
  -- Progress at least every 10 % of the job or every interval, whichever comes first: an event
  -- once 5 % more is reported, since a report may itself carry up to 5 % and a page (an entry
  -- reports between pages once it has 5 % of the job, and at least a page, to tell: fan-out.ts).
  local lastAt = tonumber(job[5] or '0')
  local lastDelivered = tonumber(job[6] or '0')
  if chunksLeft > 0 and gained > 0 and not failed
    and (nowMs - lastAt >= tonumber(ARGV[4]) or (delivered - lastDelivered) * 20 >= total) then
    redis.call('HSET', KEYS[1], JOB.lastProgressAt, nowMs, JOB.lastProgressDelivered, delivered)
    publish('fanout:progress', {jobId = redis.call('HGET', KEYS[1], JOB.id), tweetId = ARGV[2],
      delivered = delivered, total = total})
  end
  if chunksLeft > 0 then
    return {'running', delivered, total}
  end
  return {'job-done', delivered, total}
end

-- This call completed the last chunk. Admission added `total` to the backlogs, the reports
-- took off what was delivered: release the difference. Followers who unfollowed while the job
-- waited were never delivered; a follow not yet counted at admission was. A finished job
-- shows what it did (the contract: delivered = total).
if total ~= delivered then
  release(total - delivered)
  if not failed then
    total = delivered
    redis.call('HSET', KEYS[1], JOB.total, total)
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
-- An inline job ended (by its server, or by the workers that took it over): nothing is left for
-- them to take over. With the job's end, in one step, so its entry is never promoted after it.
local inlineEntry = redis.call('HGET', KEYS[1], JOB.inlineEntry)
if inlineEntry then
  redis.call('ZREM', KEYS[9], inlineEntry)
  redis.call('HDEL', KEYS[1], JOB.inlineEntry)
end
redis.call('EXPIRE', KEYS[10], ARGV[5])
if failed then
  return {'job-done', delivered, total}
end
redis.call('HSET', KEYS[1], JOB.status, 'done', JOB.finishedAt, nowMs)
local durationMs = nowMs - tonumber(job[4])
-- skipped: an added field, beyond the contract's payload, so the author sees it without a re-read.
local skippedAll = tonumber(job[10] or '0') + newlySkipped
local done = {jobId = redis.call('HGET', KEYS[1], JOB.id), tweetId = ARGV[2], delivered = delivered, total = total,
  durationMs = durationMs}
if skippedAll > 0 then done.skipped = skippedAll end
publish('fanout:done', done)

redis.call('HINCRBY', KEYS[4], STATS.jobsDone, 1)
local bound = '+Inf'
for upper in string.gmatch(ARGV[6], '[^,]+') do
  if durationMs <= tonumber(upper) then
    bound = upper
    break
  end
end
redis.call('HINCRBY', KEYS[5], durationsBucketField(bound), 1)
redis.call('HINCRBY', KEYS[5], DURATIONS.sum, durationMs)
redis.call('HINCRBY', KEYS[5], DURATIONS.count, 1)
local recentKept = tonumber(ARGV[7])
pushAndTrim(redis.call, KEYS[6], nowMs .. ':' .. durationMs, recentKept, recentKept)
return {'job-done', delivered, total}
