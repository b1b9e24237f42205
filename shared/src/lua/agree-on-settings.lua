--[[
  agree-on-settings: record this process's values of the settings every process must share,
  or compare them with the values recorded by the processes alive now; then hold them.

  Why Lua: reading what is recorded, comparing several settings and writing the missing ones
  is a compare-and-set of several fields at once. Done apart, two processes starting together
  with different values could each find nothing recorded, and both start.

  A value stands while a live process reads it. Each process holds the record for a while
  (`holder:<id>` → "<until ms> <setting names>", on Redis's clock) and refreshes its hold well
  before it runs out; a process that stopped lets go, one that died simply runs out. Holds that
  ran out are removed here, and with them every value no live holder reads, so that once every
  process that read a setting is gone a new value is accepted.

  KEYS[1] the agreed-settings hash (keys.agreedSettings): setting name → value, and the holds
  ARGV[1] this process's hold field, `holder:<id>`
  ARGV[2] how long this hold lasts, ms; the key expires when the last hold runs out
  ARGV[3], ARGV[4], … setting name, this process's value, name, value, …

  Returns {"agreed"} | {"differs", setting name, recorded value, this process's value}
]]

--- @include "time-ms"

local HOLDER = 'holder:'
local now = timeMs()
local lastUntil = now + tonumber(ARGV[2])

-- Settings some other live process reads; holds that ran out are let go of.
local held = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local field = flat[i]
  if string.sub(field, 1, #HOLDER) == HOLDER and field ~= ARGV[1] then
    local untilMs, names = string.match(flat[i + 1], '^(%d+) (.*)$')
    if untilMs and tonumber(untilMs) > now then
      lastUntil = math.max(lastUntil, tonumber(untilMs))
      for name in string.gmatch(names, '%S+') do
        held[name] = true
      end
    else
      redis.call('HDEL', KEYS[1], field)
    end
  end
end

for i = 3, #ARGV, 2 do
  if held[ARGV[i]] then
    local recorded = redis.call('HGET', KEYS[1], ARGV[i])
    if recorded and recorded ~= ARGV[i + 1] then
      return {'differs', ARGV[i], recorded, ARGV[i + 1]}
    end
  end
end

-- Values nobody alive reads any more are forgotten; this process's are (re)written.
for i = 1, #flat, 2 do
  if string.sub(flat[i], 1, #HOLDER) ~= HOLDER and not held[flat[i]] then
    redis.call('HDEL', KEYS[1], flat[i])
  end
end
local names = {}
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  names[#names + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], ARGV[1], (now + tonumber(ARGV[2])) .. ' ' .. table.concat(names, ' '))
redis.call('PEXPIREAT', KEYS[1], lastUntil)
return {'agreed'}
