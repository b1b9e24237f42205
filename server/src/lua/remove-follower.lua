--[[
  remove-follower: make one user stop following an author, in the follower's bucket.

  Why Lua: as in add-follower, the followers set, the following set and the version change
  together, and the size read back belongs to that version.

  KEYS[1] followers: author's followers in this bucket
  KEYS[2] following: follower's following (set)
  KEYS[3] version: version of KEYS[1] (see add-follower.lua)
  ARGV[1] followerId: follower id
  ARGV[2] authorId: author id

  Returns {removed (1 or 0), followers in this bucket, version}.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "bump-version"

local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 then
  bumpVersion(KEYS[3])
end
return {removed, redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
