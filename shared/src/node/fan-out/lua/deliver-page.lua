--[[
  deliver-page: deliver one tweet to the next page of followers in one chunk of a job, in the
  chunk's bucket.

  Why Lua: a page's timeline writes, the chunk's cursor, the bucket's delivery count and the
  events they cause must change together. A worker may die between any two commands; because this
  whole step is atomic and the cursor moves with the writes, a redelivered chunk resumes exactly
  where the last completed page ended: no timeline gets the tweet twice, no delivery is counted
  twice. On a Redis Cluster everything here is in the chunk's bucket, so the same holds through
  a failover: a promoted replica that lacks the last page lacks its cursor move too, and the
  page is redone. Reading follower ids here also keeps them from travelling to Node and back:
  one redis.call per follower is the whole cost of a delivery.

  The job itself lives in its author's bucket, often on another master: the worker reports the
  chunk's progress there afterwards (report-chunks.lua), with the count this returns, and the
  report takes the deliveries off the backlogs.

  Timeline keys are built from ARGV[6] .. follower id, in this bucket: not declared, since a
  page writes up to a thousand of them; the `#!lua` header makes Redis refuse any that is not.

  KEYS[1] cursors: the job's cursors in this bucket (hash)
  KEYS[2] followers: author's followers in this bucket (sorted set scored by the author's follow sequence)
  KEYS[3] online: online users of this bucket (sorted set: user id → online until, ms)
  KEYS[4] events: this bucket's events stream
  KEYS[5] stats: this bucket's stats counters
  KEYS[6] lastActive: when the users of this bucket were last active (sorted set: user id → ms)

  ARGV[1] chunk: chunk id
  ARGV[2] lo: chunk start, exclusive (follow sequence)
  ARGV[3] hi: chunk end, inclusive (follow sequence)
  ARGV[4] pageSize: page size
  ARGV[5] timelineMax: TIMELINE_MAX
  ARGV[6] timelinePrefix: timeline key prefix of this bucket
  ARGV[7] tweetSeq: tweet id (the timeline entry)
  ARGV[8] timelineNew: timeline:new payload (JSON)
  ARGV[9] eventsMaxLen: events stream approximate max length
  ARGV[10] timelineTrimAt: timeline length at which it is trimmed back to TIMELINE_MAX
  ARGV[11] cursorRetentionS: seconds the cursors are kept after a page that leaves the chunk unfinished
  ARGV[12] doneRetentionS: seconds they are kept after the page that completes it
  ARGV[13] inactiveBeforeMs: a follower last active before this (ms) is left out
           (INACTIVE_AFTER_DAYS; the worker's clock, as the server's wrote it: skew is nothing
           against days); "0": nobody is. One with no activity recorded (a synthetic follower) is
           never left out.

  Returns {state, delivered, skipped}: the chunk's counts so far (skipped: inactive followers
  left out), state one of
    "more"        the chunk has more followers to deliver
    "chunk-done"  this chunk is complete (now or earlier), or stopped by the tweet's delete
]]

--- @include "time-ms"
--- @include "push-and-trim"
--- @include "cursor-record"
--- @include "stats-record"
--- @include "event-entry-record"
--- @include "page-steps"

local cursorAt, deliveredAt = cursorField(ARGV[1]), cursorDeliveredField(ARGV[1])
local skippedAt = cursorSkippedField(ARGV[1])
local cursor = redis.call('HMGET', KEYS[1], cursorAt, deliveredAt, CURSOR.stopped, skippedAt)
local delivered = tonumber(cursor[2] or '0')
local inactiveSoFar = tonumber(cursor[4] or '0')
-- Stopped: the tweet is deleted, and its delete may already have cleaned these timelines, so
-- a page now would bring it back. The chunk ends with what it delivered.
if cursor[1] == 'done' or cursor[3] then
  return {'chunk-done', delivered, inactiveSoFar}
end

local pageSize = tonumber(ARGV[4])
local page = redis.call('ZRANGE', KEYS[2], '(' .. (cursor[1] or ARGV[2]), ARGV[3],
  'BYSCORE', 'LIMIT', 0, pageSize, 'WITHSCORES')
local count = #page / 2

-- Inactive followers: written to nobody reads, so left out (and counted); their timelines are
-- rebuilt when they come back (the server's activity.ts). ZMSCORE in slices, as onlineAmong.
local inactive = {}
local inactiveCount = 0
local inactiveBefore = tonumber(ARGV[13])
if inactiveBefore > 0 and count > 0 then
  for from = 1, #page, 2000 do
    local slice = {}
    for i = from, math.min(from + 1999, #page), 2 do slice[#slice + 1] = page[i] end
    local lastActive = redis.call('ZMSCORE', KEYS[6], unpack(slice))
    for i = 1, #slice do
      if lastActive[i] and tonumber(lastActive[i]) < inactiveBefore then
        inactive[slice[i]] = true
        inactiveCount = inactiveCount + 1
      end
    end
  end
end

local timelineMax = tonumber(ARGV[5])
local trimAt = tonumber(ARGV[10])
local skipped = 0
local ids = {}
for i = 1, #page, 2 do
  if not inactive[page[i]] then
    ids[#ids + 1] = page[i]
    -- pcall: Redis does not undo a script's writes when it fails half-way, so a timeline key of
    -- the wrong type (damaged data) must not abort the page after other timelines were written.
    -- That follower is skipped and the page stays whole.
    if type(pushAndTrim(redis.pcall, ARGV[6] .. page[i], ARGV[7], timelineMax, trimAt)) ~= 'number' then
      skipped = skipped + 1
    end
  end
end

-- Which of these followers are online? Look from whichever side is smaller. A few online
-- users against a big page: walk them, one ZSCORE each. Otherwise one ZMSCORE asks for the
-- whole page at once: a lookup per follower inside Redis, not a script call per follower.
local online = {}
local nowMs = count > 0 and timeMs() or 0
local onlineCount = count > 0 and redis.call('ZCARD', KEYS[3]) or 0
if onlineCount > 0 and onlineCount * 16 < count then
  local first, last = tonumber(page[2]), tonumber(page[#page])
  for _, user in ipairs(redis.call('ZRANGE', KEYS[3], '(' .. nowMs, '+inf', 'BYSCORE')) do
    local followedAt = redis.call('ZSCORE', KEYS[2], user)
    if followedAt and tonumber(followedAt) >= first and tonumber(followedAt) <= last and not inactive[user] then
      online[#online + 1] = user
    end
  end
elseif onlineCount > 0 then
  online = onlineAmong(KEYS[3], ids, nowMs)
end

if count > 0 then
  -- Skipped followers are not delivered; their share of the backlog is released when the job ends.
  delivered = redis.call('HINCRBY', KEYS[1], deliveredAt, count - skipped - inactiveCount)
  redis.call('HINCRBY', KEYS[5], STATS.delivered, count - skipped - inactiveCount)
end
if inactiveCount > 0 then
  inactiveSoFar = redis.call('HINCRBY', KEYS[1], skippedAt, inactiveCount)
end
if #online > 0 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*',
    EVENT.event, 'timeline:new', EVENT.to, table.concat(online, ','), EVENT.payload, ARGV[8])
end

return {advanceCursor(KEYS[1], cursorAt, page, pageSize, ARGV[11], ARGV[12]), delivered, inactiveSoFar}
