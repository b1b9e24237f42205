--[[
  add-synthetic-followers: make a run of synthetic users follow one author, in one bucket.

  Why Lua: the followers and the version that orders syncs of the bucket's size change
  together (see add-follower.lua), and a slice of thousands of ZADD pairs is built here rather
  than sent from Node.

  Synthetic users are only ids: they have no handle, password or following set, since no one
  can sign in as them. They exist to receive fan-out. The caller took a block of user ids and a
  block of follow sequence numbers; user `firstUser + i·step` gets `firstSeq + i·step`.

  KEYS[1] followers: author's followers in this bucket
  KEYS[2] version: version of KEYS[1] (see add-follower.lua)
  ARGV[1] firstUser: firstUser
  ARGV[2] firstSeq: firstSeq
  ARGV[3] step: step (the number of buckets)
  ARGV[4] count: how many users

  Returns {followers in this bucket, version}.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "bump-version"

local firstUser, firstSeq = tonumber(ARGV[1]), tonumber(ARGV[2])
local step, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local SLICE = 2000
local args = {}
for i = 0, count - 1 do
  args[#args + 1] = firstSeq + i * step
  args[#args + 1] = firstUser + i * step
  if #args == SLICE * 2 or i == count - 1 then
    redis.call('ZADD', KEYS[1], unpack(args))
    args = {}
  end
end
return {redis.call('ZCARD', KEYS[1]), bumpVersion(KEYS[2])}
