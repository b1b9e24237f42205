--[[
  rebuild-timeline: merge the tweets a returning user missed into their home timeline, and
  mark the rebuild done, in the user's bucket.

  Why Lua: while the user was inactive (INACTIVE_AFTER_DAYS) delivery pages left their timeline
  out; the server gathers the tweets they missed from the followed accounts' own tweets (other
  buckets) and merges them here. Deliveries may push onto the same list meanwhile (the user is
  active again), and a read-then-rewrite from Node would drop one landing between the two; in one
  script nothing lands between. The merge is a union, so running it twice (two server nodes, two
  first requests) writes the same list. The pending key goes in the same step as the merge: a
  node that no longer finds it reads a rebuilt timeline.

  KEYS[1] timeline: the user's home timeline (list of tweet ids, newest first)
  KEYS[2] pending: the user's rebuild-pending key (mark-active.lua), deleted

  ARGV[1] timelineMax: TIMELINE_MAX: the newest this many are kept
  ARGV[2], ARGV[3], … tweetIds: tweet ids to merge in, as stored

  Returns the timeline's length afterwards.
]]

local seen, ids = {}, {}
local function add(id)
  if not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
  end
end
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do add(id) end
for i = 2, #ARGV do add(ARGV[i]) end
table.sort(ids, function(a, b) return tonumber(a) > tonumber(b) end)

local keep = math.min(#ids, tonumber(ARGV[1]))
redis.call('DEL', KEYS[1])
-- In slices: Lua's unpack fails past a few thousand values.
for from = 1, keep, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ids, from, math.min(from + 999, keep)))
end
redis.call('DEL', KEYS[2])
return keep
