--[[
  reserve-follows: take a block of the author's follow sequence numbers, before the followers
  are added in their own buckets (add-follower.lua, add-synthetic-followers.lua).

  Why Lua: the sequence is kept at or above the clock (16 per ms since 2026, as tweet ids are)
  with a compare-and-set, so that a promoted replica that lost the last reservations never
  hands their numbers out again: two followers with one score would break the cursor, which
  resumes strictly after a score. And in the same step each bucket the followers will join is
  marked in the audience (a count of 0 if it had none), so that admission cuts a chunk for it
  even if the follow's count never reaches the audience: a crash between the steps must not
  leave a follower that no tweet reaches.

  KEYS[1] author's audience (hash)
  ARGV[1] how many numbers
  ARGV[2], … buckets the followers will join

  Returns the first number of the block.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "audience-record"

local ID_EPOCH_MS = 1767225600000
local TICKS_PER_MS = 16

local count = tonumber(ARGV[1])
local first = math.max(tonumber(redis.call('HGET', KEYS[1], AUDIENCE.seq) or '0') + 1, (timeMs() - ID_EPOCH_MS) * TICKS_PER_MS)
redis.call('HSET', KEYS[1], AUDIENCE.seq, integer(first + count - 1))
for i = 2, #ARGV do
  redis.call('HSETNX', KEYS[1], audienceCountField(ARGV[i]), 0)
end
return first
