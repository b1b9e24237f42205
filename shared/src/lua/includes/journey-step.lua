-- Appends one step (a table of STEP fields) to a job's journey, keeping its first maxSteps:
-- one RPUSH per step, and a trim only past the bound. The journey expires with its job: the
-- scripts that set the job's TTL at its end set the journey's too, and a step that creates the
-- list after that (a stale copy of an entry, still running) gives it the job's remaining TTL,
-- so no list outlives its job. Needs the journey-record include before it.
local function recordJourneyStep(journeyKey, jobKey, step, maxSteps)
  local length = redis.call('RPUSH', journeyKey, cjson.encode(step))
  if length > maxSteps then
    redis.call('LTRIM', journeyKey, 0, maxSteps - 1)
  elseif length == 1 then
    local ttl = redis.call('PTTL', jobKey)
    if ttl > 0 then
      redis.call('PEXPIRE', journeyKey, ttl)
    end
  end
end
