--[[
  promote-retries: put chunks whose retry is due back on the fan-out stream.

  Why Lua: moving an entry from the schedule to the stream must be one step, or two workers
  promoting at once could both enqueue it, or a crash between the two could drop it.

  Per bucket: the schedule and the lanes are in one bucket.

  KEYS[1] schedule: retry schedule (sorted set: JSON {lane, job, tweet, author, chunks, attempt, id} scored by due time in ms)
  KEYS[2] smallLane: fan-out stream, small lane
  KEYS[3] bulkLane: fan-out stream, bulk lane
  ARGV[1] now: now, ms
  ARGV[2] limit: most entries to move in one call

  Returns how many entries were moved.

  Field names come from shared/src/records (ENTRY).
]]

--- @include "fanout-entry-record"

local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  local entry = cjson.decode(member)
  local lane = KEYS[2]
  if entry[ENTRY.lane] == 'bulk' then
    lane = KEYS[3]
  end
  -- Only the fields the entry has: older entries lack tweet and author, and XADD takes no nil.
  local fields = {}
  for _, name in ipairs({ENTRY.job, ENTRY.tweet, ENTRY.author, ENTRY.chunks, ENTRY.attempt}) do
    if type(entry[name]) == 'string' then
      fields[#fields + 1] = name
      fields[#fields + 1] = entry[name]
    end
  end
  redis.call('XADD', lane, '*', unpack(fields))
  redis.call('ZREM', KEYS[1], member)
end
return #due
