--[[
  sync-audience: record in the author's audience how many followers one bucket holds.

  Why Lua: the count is written only if it comes from a newer version of the bucket's followers
  than the one recorded, a compare-and-set. Syncs of concurrent follows may arrive in any order,
  and one may never arrive (a crash after the follow): the newest wins, and the next follow or
  unfollow in that bucket makes a lost one good.

  KEYS[1] audience: author's audience (hash)
  ARGV[1] bucket: bucket
  ARGV[2] followers: followers in that bucket
  ARGV[3] version: version they were read at

  Returns 1 when the count was written, 0 when a newer one was already there.
]]

--- @include "audience-record"

if tonumber(redis.call('HGET', KEYS[1], audienceVersionField(ARGV[1])) or '-1') >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], audienceCountField(ARGV[1]), ARGV[2], audienceVersionField(ARGV[1]), ARGV[3])
return 1
