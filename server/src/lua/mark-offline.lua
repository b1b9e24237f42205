--[[
  mark-offline: one socket of a user disconnected.

  Why Lua: decrement and delete-at-zero must be one step, or a socket connecting in between
  would be counted and then deleted, and that online user would miss timeline:new events.

  KEYS[1] online hash (user id → live socket count)
  ARGV[1] user id
]]

if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
