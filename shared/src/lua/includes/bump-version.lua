-- Raises the version counter at key and returns it: one more than before, and at least the
-- clock in µs, so that a version never goes back, even on a promoted replica that lost the
-- last bumps (a sync of an older count must never win over a newer one).
local function bumpVersion(key)
  local version = math.max(tonumber(redis.call('GET', key) or '0') + 1, timeMs() * 1000)
  redis.call('SET', key, integer(version))
  return version
end
