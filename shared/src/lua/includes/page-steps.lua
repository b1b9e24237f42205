-- What every page script (deliver-page, delete-page) does around its own writes.

-- The ids of `ids` online now in the bucket's online set (user id → online until, ms): one
-- ZMSCORE asks for a whole slice at once, a lookup per user inside Redis. In slices: Lua's
-- unpack fails past a few thousand values, and failing after the timelines are written but
-- before the cursor moves would run the page twice on retry.
local function onlineAmong(onlineKey, ids, nowMs)
  local online = {}
  for from = 1, #ids, 1000 do
    local slice = {unpack(ids, from, math.min(from + 999, #ids))}
    local onlineUntil = redis.call('ZMSCORE', onlineKey, unpack(slice))
    for i = 1, #slice do
      if onlineUntil[i] and tonumber(onlineUntil[i]) > nowMs then
        online[#online + 1] = slice[i]
      end
    end
  end
  return online
end

-- Moves the chunk's cursor past the page, in the same script as the page's writes, so a page
-- redone after a crash resumes where this one ended. A full page may have more after it; a short
-- one ends the chunk. `page` is a ZRANGE ... WITHSCORES reply. Answers "more" or "chunk-done".
local function advanceCursor(cursorKey, cursorAt, page, pageSize, keepS, doneKeepS)
  if #page / 2 == pageSize then
    redis.call('HSET', cursorKey, cursorAt, page[#page])
    redis.call('EXPIRE', cursorKey, keepS)
    return 'more'
  end
  redis.call('HSET', cursorKey, cursorAt, 'done')
  -- Shortened only: another chunk of the job in this bucket may still be under way.
  redis.call('EXPIRE', cursorKey, doneKeepS, 'LT')
  return 'chunk-done'
end
