--[[
  follow-user: make one user follow another.

  Why Lua: taking the next follow sequence number and joining the followers set must be one
  step. admit-tweet reads "everyone scored up to the current sequence" as the audience of a
  tweet; a sequence number taken but not yet in the set would break that.

  KEYS[1] followee's followers (sorted set scored by follow sequence)
  KEYS[2] follower's following (set)
  KEYS[3] global follow sequence counter
  ARGV[1] follower id
  ARGV[2] followee id

  Returns 1 when a new follow was made, 0 when it already existed.
]]

if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
