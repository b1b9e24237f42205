--[[
  delete-page: take a deleted tweet out of the next page of followers' timelines in one chunk of
  a delete job, in the chunk's bucket.

  Why Lua: the post job's stop in this bucket, a page's removals, the chunk's cursor and the
  events must change together. The stop is what keeps a delivery still in flight from bringing
  the tweet back: it is set in the same step as the first removals here, so every page of the
  post in this bucket either ran before it (and the copy it wrote is removed by this job, which
  visits every follower it could have written) or runs after it and writes nothing
  (deliver-page.lua). The cursor moves with the removals, so a page redone after a crash
  counts nothing twice (a removal itself is harmless to repeat).

  Timeline keys are built from ARGV[5] .. follower id, in this bucket, as in deliver-page.lua.

  KEYS[1] cursors: the delete job's cursors in this bucket (hash)
  KEYS[2] postCursors: the post job's cursors in this bucket (hash; only its stop is set)
  KEYS[3] followers: author's followers in this bucket (sorted set scored by the author's follow sequence)
  KEYS[4] online: online users of this bucket (sorted set: user id → online until, ms)
  KEYS[5] events: this bucket's events stream

  ARGV[1] chunk: chunk id
  ARGV[2] lo: chunk start, exclusive (follow sequence)
  ARGV[3] hi: chunk end, inclusive (follow sequence)
  ARGV[4] pageSize: page size
  ARGV[5] timelinePrefix: timeline key prefix of this bucket
  ARGV[6] tweetSeq: tweet id (the timeline entry)
  ARGV[7] tweetDeleted: tweet:deleted payload (JSON)
  ARGV[8] eventsMaxLen: events stream approximate max length
  ARGV[9] cursorRetentionS: seconds the cursors are kept after a page that leaves the chunk unfinished
  ARGV[10] doneRetentionS: seconds they are kept after the page that completes it
  ARGV[11] stoppedRetentionS: seconds the post job's stop is kept

  Returns {state, removed}: removed is how many of the chunk's timelines the tweet was taken out
  of so far, state one of
    "more"        the chunk has more followers to visit
    "chunk-done"  this chunk is complete (now or earlier)
]]

--- @include "time-ms"
--- @include "cursor-record"
--- @include "event-entry-record"
--- @include "page-steps"

local cursorAt, removedAt = cursorField(ARGV[1]), cursorDeliveredField(ARGV[1])
local cursor = redis.call('HMGET', KEYS[1], cursorAt, removedAt)
local removed = tonumber(cursor[2] or '0')
if cursor[1] == 'done' then
  return {'chunk-done', removed}
end

if not cursor[1] then
  redis.call('HSET', KEYS[2], CURSOR.stopped, 1)
  redis.call('EXPIRE', KEYS[2], ARGV[11])
end

local pageSize = tonumber(ARGV[4])
local page = redis.call('ZRANGE', KEYS[3], '(' .. (cursor[1] or ARGV[2]), ARGV[3], 'BYSCORE', 'LIMIT', 0, pageSize, 'WITHSCORES')

-- Counted are the timelines that held the tweet: what the post delivered, less the copies that
-- trimming already pushed out. pcall: a timeline key of the wrong type (damaged data) is
-- skipped, as a post page skips it, rather than failing the page half-way.
local cleaned = {}
for i = 1, #page, 2 do
  if redis.pcall('LREM', ARGV[5] .. page[i], 1, ARGV[6]) == 1 then
    cleaned[#cleaned + 1] = page[i]
  end
end

if #cleaned > 0 then
  removed = redis.call('HINCRBY', KEYS[1], removedAt, #cleaned)
  -- Only those whose timeline held it can have it on screen.
  local nowMs = timeMs()
  local online = onlineAmong(KEYS[4], cleaned, nowMs)
  if #online > 0 then
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[8], '*', EVENT.event, 'tweet:deleted', EVENT.to, table.concat(online, ','), EVENT.payload, ARGV[7])
  end
end

return {advanceCursor(KEYS[1], cursorAt, page, pageSize, ARGV[9], ARGV[10]), removed}
