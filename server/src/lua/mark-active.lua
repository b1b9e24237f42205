--[[
  mark-active: record a user as active now and, when they were inactive until now, leave word
  that their timeline is to be rebuilt, in the user's bucket.

  Why Lua: the old mark has to be read and replaced in one step. Read from Node, two nodes
  serving the same returning user's parallel requests could both see the mark fresh once one
  of them has written it, and the other would answer before the rebuild. Here the node that
  replaces an old mark also sets the rebuild-pending key, in the same step; every node that
  marks the user afterwards reads that key back and rebuilds too (a merge: running it twice
  writes the same timeline) until a rebuild deletes it.

  KEYS[1] lastActive: the bucket's last activity marks (sorted set: user id -> ms)
  KEYS[2] pending: the user's rebuild-pending key (string: their mark before returning, ms)

  ARGV[1] userId: the user
  ARGV[2] nowMs: now (ms), the new mark
  ARGV[3] inactiveBeforeMs: a mark below this was inactive; 0: nobody was (INACTIVE_AFTER_DAYS off)
  ARGV[4] pendingTtlS: how long a rebuild stays pending at most (s)

  Returns the pending key's value (the mark the rebuild starts from) while a rebuild is
  pending, nil otherwise.
]]

local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
-- A user with no mark (a synthetic follower) was never left out; NX keeps the oldest mark of a
-- rebuild still pending, the one its tweets are missing from.
if before and tonumber(before) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], before, 'NX', 'EX', ARGV[4])
end
return redis.call('GET', KEYS[2])
