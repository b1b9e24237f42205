-- Milliseconds on Redis's own clock: every process agrees on it, unlike on the callers' clocks.
-- TIME answers seconds and microseconds.
local function timeMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
