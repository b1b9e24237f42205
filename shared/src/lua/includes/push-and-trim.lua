-- Pushes value onto the list at key and, once it is longer than trimAt, cuts it back to its
-- first `keep` entries. Lazy: LPUSH answers the new length, so trimming costs nothing until it
-- is due. `push` is redis.call, or redis.pcall to get a key of the wrong type back as an error
-- reply (anything but a number) instead of failing the script.
local function pushAndTrim(push, key, value, keep, trimAt)
  local length = push('LPUSH', key, value)
  if type(length) == 'number' and length > trimAt then
    redis.call('LTRIM', key, 0, keep - 1)
  end
  return length
end
