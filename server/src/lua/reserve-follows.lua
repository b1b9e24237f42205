--[[
  reserve-follows: take a block of the author's follow sequence numbers, before the followers
  are added in their own buckets (add-follower.lua, add-synthetic-followers.lua).

  Why Lua: in the same step as the numbers are taken, each bucket the followers will join is
  marked in the audience (a count of 0 if it had none), so that admission cuts a chunk for it
  even if the follow's count never reaches the audience: a crash between the steps must not
  leave a follower that no tweet reaches.

  The sequence is a plain counter, dense, so that admission's equal-width score ranges hold
  about equal numbers of followers. A promoted replica that lost the last reservations hands
  their numbers out again; add-follower.lua keeps such a repeat from tying two followers'
  scores, and the followers who hold the lost numbers are left out of tweets until the
  counter passes them again (docs/cluster-design.md).

  KEYS[1] audience: author's audience (hash)
  ARGV[1] count: how many numbers
  ARGV[2], … buckets: buckets the followers will join

  Returns the first number of the block.
]]

--- @include "audience-record"

local count = tonumber(ARGV[1])
local first = redis.call('HINCRBY', KEYS[1], AUDIENCE.seq, count) - count + 1
for i = 2, #ARGV do
  redis.call('HSETNX', KEYS[1], audienceCountField(ARGV[i]), 0)
end
return first
