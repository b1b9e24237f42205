--[[
  give-up-chunk: a chunk failed on its last allowed attempt: dead-letter it and fail its job.

  Why Lua: the dead letter, the ack, the job's failure and its one fanout:failed event must
  happen together. Done apart, a crash could leave a chunk both dead-lettered and pending (and
  retried), or a failed job whose author is never told.

  The given-up chunk counts as finished for the job's bookkeeping, so when the job's last chunk
  ends, the backlog of deliveries that will never happen is released (here or in deliver-page).

  KEYS[1] job hash
  KEYS[2] the fan-out lane (stream) the entry is in
  KEYS[3] dead-letter stream
  KEYS[4] events stream
  KEYS[5] backlog counter
  KEYS[6] stats counters

  ARGV[1] fan-out consumer group
  ARGV[2] stream entry id
  ARGV[3] chunk cursor field name
  ARGV[4] job id
  ARGV[5] chunk start (exclusive)
  ARGV[6] chunk end (inclusive)
  ARGV[7] attempts made
  ARGV[8] error, readable by the author
  ARGV[9] tweet id
  ARGV[10] author id
  ARGV[11] events stream approximate max length
  ARGV[12] dead-letter stream approximate max length
  ARGV[13] seconds a finished job record is kept

  Returns 1 when this call failed the job (and published fanout:failed), else 0.

  Job and stats field names come from shared/src/records (JOB, STATS).
]]

--- @include "time-ms"
--- @include "job-record"
--- @include "stats-record"

redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])

-- A chunk some other worker finished meanwhile was not given up on: no dead letter for it.
local job = redis.call('HMGET', KEYS[1], JOB.status, JOB.total, JOB.delivered, ARGV[3])
if job[4] == 'done' then
  return 0
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[12], '*', 'job', ARGV[4], 'lo', ARGV[5], 'hi', ARGV[6],
  'attempt', ARGV[7], 'sourceId', ARGV[2], 'reason', ARGV[8])
if not job[1] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[3], 'done', jobAttemptField(ARGV[5]), ARGV[7])

local nowMs = timeMs()
local failedNow = 0
if job[1] ~= 'failed' then
  redis.call('HSET', KEYS[1], JOB.status, 'failed', JOB.error, ARGV[8], JOB.finishedAt, nowMs)
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[11], '*', 'event', 'fanout:failed', 'to', ARGV[10],
    'payload', cjson.encode({jobId = ARGV[4], tweetId = ARGV[9], error = ARGV[8]}))
  redis.call('HINCRBY', KEYS[6], STATS.jobsFailed, 1)
  failedNow = 1
end

if redis.call('HINCRBY', KEYS[1], JOB.chunksLeft, -1) <= 0 then
  local undelivered = tonumber(job[2]) - tonumber(job[3])
  if undelivered > 0 then
    redis.call('DECRBY', KEYS[5], undelivered)
  end
  redis.call('EXPIRE', KEYS[1], ARGV[13])
end
return failedNow
