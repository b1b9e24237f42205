--[[
  add-synthetic-followers: create `count` synthetic users that all follow one user.

  Why Lua: as in follow-user, the block of follow sequence numbers and the followers that
  carry them must appear together, or a tweet posted meanwhile would count an audience that
  is not there yet; and the whole request is one step, so a failure leaves nothing half-added.

  Synthetic users are only ids: they have no handle, password or following set, since no
  one can sign in as them. They exist to receive fan-out.

  KEYS[1] followee's followers (sorted set scored by follow sequence)
  KEYS[2] user id sequence counter
  KEYS[3] global follow sequence counter
  ARGV[1] count (at most 1 000 000)

  Returns the follower count after the addition.
]]

local count = tonumber(ARGV[1])
local firstUser = redis.call('INCRBY', KEYS[2], count) - count + 1
local firstSeq = redis.call('INCRBY', KEYS[3], count) - count + 1

-- ZADD takes its pairs as call arguments; Lua's stack limits how many, so add in slices.
local SLICE = 2000
local args = {}
for i = 0, count - 1 do
  args[#args + 1] = firstSeq + i
  args[#args + 1] = firstUser + i
  if #args == SLICE * 2 or i == count - 1 then
    redis.call('ZADD', KEYS[1], unpack(args))
    args = {}
  end
end
return redis.call('ZCARD', KEYS[1])
