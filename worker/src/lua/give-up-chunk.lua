--[[
  give-up-chunk: an entry failed on its last allowed attempt: dead-letter it and fail its job.

  Why Lua: the dead letter, the ack, the job's failure and its one fanout:failed event must
  happen together. Done apart, a crash could leave an entry both dead-lettered and pending (and
  retried), or a failed job whose author is never told. The entry's lane and the job are both
  in the author's bucket.

  The entry's chunks count as finished for the job's bookkeeping, so when the job's last chunk
  ends, the backlog of deliveries that will never happen is released (here or in
  report-chunks.lua).

  KEYS[1] job: job hash
  KEYS[2] lane: the fan-out lane (stream) the entry is in
  KEYS[3] deadLetters: the bucket's dead-letter stream
  KEYS[4] events: the bucket's events stream
  KEYS[5] backlog: the bucket's backlog counter of tweets that are not small
  KEYS[6] stats: the bucket's stats counters
  KEYS[7] smallBacklog: the bucket's backlog counter of small tweets
  KEYS[8] authorBacklog: the author's backlog counter
  KEYS[9] journey: the job's journey (list), which expires with the job

  ARGV[1] group: fan-out consumer group
  ARGV[2] entryId: stream entry id
  ARGV[3] jobId: job id
  ARGV[4] chunks: the entry's chunks field
  ARGV[5] attempts: attempts made
  ARGV[6] error: error, readable by the author
  ARGV[7] tweetId: tweet id
  ARGV[8] authorId: author id
  ARGV[9] eventsMaxLen: events stream approximate max length
  ARGV[10] deadLettersMaxLen: dead-letter stream approximate max length
  ARGV[11] jobRetentionS: seconds a finished job record is kept
  ARGV[12], … chunkIds: the ids of the entry's chunks

  Returns 1 when this call failed the job (and published fanout:failed), else 0.

  Field names come from shared/src/records (JOB, STATS, ENTRY, EVENT).
]]

--- @include "time-ms"
--- @include "job-record"
--- @include "stats-record"
--- @include "fanout-entry-record"
--- @include "event-entry-record"
--- @include "release-backlog"

redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])

local job = redis.call('HMGET', KEYS[1], JOB.status, JOB.total, JOB.delivered, JOB.small)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[10], '*', ENTRY.job, ARGV[3], ENTRY.chunks, ARGV[4],
  ENTRY.attempt, ARGV[5], ENTRY.sourceId, ARGV[2], ENTRY.reason, ARGV[6])
if not job[1] then
  return 0
end

local finished = 0
for i = 12, #ARGV do
  if redis.call('HSETNX', KEYS[1], jobFinishedField(ARGV[i]), 1) == 1 then
    finished = finished + 1
  end
  redis.call('HSET', KEYS[1], jobAttemptField(ARGV[i]), ARGV[5])
end
if finished == 0 then
  -- Every chunk of it had completed already: nothing was given up.
  return 0
end

local nowMs = timeMs()
local failedNow = 0
if job[1] ~= 'failed' then
  redis.call('HSET', KEYS[1], JOB.status, 'failed', JOB.error, ARGV[6], JOB.finishedAt, nowMs)
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', EVENT.event, 'fanout:failed', EVENT.to, ARGV[8],
    EVENT.payload, cjson.encode({jobId = ARGV[3], tweetId = ARGV[7], error = ARGV[6]}))
  redis.call('HINCRBY', KEYS[6], STATS.jobsFailed, 1)
  failedNow = 1
end

if redis.call('HINCRBY', KEYS[1], JOB.chunksLeft, -finished) <= 0 then
  -- Admission added the job's total to the backlogs, its reports took off what was delivered
  -- (more than the total when a follow was not yet counted at admission): release the rest.
  releaseBacklog(KEYS[7], KEYS[5], KEYS[8], job[4], tonumber(job[2]) - tonumber(job[3]))
  redis.call('EXPIRE', KEYS[1], ARGV[11])
  redis.call('EXPIRE', KEYS[9], ARGV[11])
end
return failedNow
