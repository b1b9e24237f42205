--[[
  add-follower: make one user follow an author, in the follower's bucket.

  Why Lua: the follower's place in the author's followers of this bucket, the follower's own
  following set, and the version that orders syncs of the bucket's size into the author's
  audience (sync-audience.lua) must change together; and "already following" must be decided
  in the same step, so that following twice keeps the first follow and its place in the order.

  KEYS[1] followers: author's followers in this bucket (sorted set scored by the author's follow sequence)
  KEYS[2] following: follower's following (set)
  KEYS[3] version: version of KEYS[1]: at or above the clock in µs, so that it never goes back, even on a
          promoted replica that lost the last changes
  ARGV[1] followerId: follower id
  ARGV[2] authorId: author id
  ARGV[3] seq: the follow sequence taken for this follow

  Returns {added (1 or 0), followers in this bucket, version}.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "bump-version"

local added = 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  -- A score already taken means the author's master lost the reservation of it in a failover and
  -- handed it out again. Two followers with one score would break the cursor, which resumes
  -- strictly after a score: take a free one between it and the next number instead.
  local score = tonumber(ARGV[3])
  local step = 0.5
  while redis.call('ZCOUNT', KEYS[1], score, score) > 0 do
    score = tonumber(ARGV[3]) + step
    step = step / 2
  end
  redis.call('ZADD', KEYS[1], score, ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
  bumpVersion(KEYS[3])
  added = 1
end
return {added, redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
