--[[
  claim-stalled: take over one entry that has waited in another consumer's hands for too long.

  Why Lua: finding the entry, claiming it, judging whether its worker is alive and, if not,
  requeueing it with the attempt counted must be one step. Done apart, several workers could
  claim the same entry and each requeue a copy, or a crash between claim and requeue could
  lose the count.

  A worker is alive when its heartbeat is recent: the caller reads the heartbeats (one sorted
  set outside any bucket, ms on the workers' clocks, which are assumed to agree to within a
  fraction of the alive window) and passes the names of the live consumers. Taking an entry from a
  live but stalled worker just runs it (each page is safe to race) and costs no attempt; taking
  it from a dead one requeues it with attempt + 1, so a chunk that kills every worker that runs
  it ends in dead letters.

  Either way the takeover is a step of the job's journey (journey-step). The job and its journey
  are in the lane's bucket (the author's), named from the entry once it is claimed.

  KEYS[1] lane: fan-out lane (stream)
  KEYS[2] stats: the lane's bucket's stats counters (claims)
  ARGV[1] group: consumer group
  ARGV[2] consumer: this consumer's name
  ARGV[3] minIdleMs: minimum idle time, ms
  ARGV[4] jobPrefix: job key prefix of the lane's bucket (the job hash is prefix .. job id)
  ARGV[5] journeyPrefix: journey key prefix of the lane's bucket
  ARGV[6] journeyMaxSteps: steps a journey keeps
  ARGV[7], … alive: names of the consumers alive now

  Returns {"none"} | {"alive", id, fields} (claimed; run it) | {"requeued", newId, attempt}

  Field names come from shared/src/records: the claims counter (STATS.claims), the entry's (ENTRY),
  the journey step's (STEP).
]]

--- @include "time-ms"
--- @include "stats-record"
--- @include "fanout-entry-record"
--- @include "journey-record"
--- @include "journey-step"

local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], '-', '+', 1)
if #pending == 0 then
  return {'none'}
end
local id, owner = pending[1][1], pending[1][2]
local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], id)
if #claimed == 0 or not claimed[1] then
  return {'none'}
end
local fields = claimed[1][2]
redis.call('HINCRBY', KEYS[2], STATS.claims, 1)

local attempt = 1
local jobId, chunks
local args = {}
for i = 1, #fields, 2 do
  if fields[i] == ENTRY.attempt then
    attempt = tonumber(fields[i + 1]) or 1
  else
    if fields[i] == ENTRY.job then jobId = fields[i + 1] end
    if fields[i] == ENTRY.chunks then chunks = fields[i + 1] end
    args[#args + 1] = fields[i]
    args[#args + 1] = fields[i + 1]
  end
end

local function recordTakeover(outcome)
  -- A malformed entry names no job (it goes to dead letters), and an expired job keeps no journey.
  if not jobId or redis.call('EXISTS', ARGV[4] .. jobId) == 0 then return end
  recordJourneyStep(ARGV[5] .. jobId, ARGV[4] .. jobId, {[STEP.kind] = 'takeover', [STEP.at] = timeMs(), [STEP.worker] = ARGV[2],
    [STEP.from] = owner, [STEP.outcome] = outcome, [STEP.attempt] = attempt, [STEP.chunks] = chunks or ''}, tonumber(ARGV[6]))
end

for i = 7, #ARGV do
  if ARGV[i] == owner then
    recordTakeover('alive')
    return {'alive', id, fields}
  end
end
recordTakeover('requeued')
args[#args + 1] = ENTRY.attempt
args[#args + 1] = tostring(attempt + 1)
local newId = redis.call('XADD', KEYS[1], '*', unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], id)
redis.call('XDEL', KEYS[1], id)
return {'requeued', newId, attempt + 1}
