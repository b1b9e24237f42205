-- 2026-01-01T00:00:00Z: ids count from here to stay short.
local ID_EPOCH_MS = 1767225600000
local ID_TICKS_PER_MS = 16
-- The last tick of each millisecond is kept for scheduled tweets (scheduledId): the counters
-- never hand it out, so a scheduled tweet's id, fixed weeks ahead, can never be given to another.
local SCHEDULED_TICK = ID_TICKS_PER_MS - 1

-- The next id of a bucket's counter at key: t · buckets + bucket, t one more than the counter
-- (skipping SCHEDULED_TICK) and kept at or above 16 × the milliseconds since 2026 on this
-- master's clock. So the id says where its record is stored, ids of different buckets sort by
-- creation time, gaps are allowed, and a promoted replica that lost the last ids never hands
-- them out again (other buckets may hold chunk cursors under a job id).
local function nextId(key, nowMs, buckets, bucket)
  local t = math.max(tonumber(redis.call('GET', key) or '0') + 1, (nowMs - ID_EPOCH_MS) * ID_TICKS_PER_MS)
  if t % ID_TICKS_PER_MS == SCHEDULED_TICK then t = t + 1 end
  redis.call('SET', key, integer(t))
  return integer(t * buckets + bucket)
end

-- The id of a tweet scheduled for ms atMs in this bucket: the millisecond's SCHEDULED_TICK, which
-- sorts after every id the counter handed out in that millisecond (the newest tweet of then).
local function scheduledId(atMs, buckets, bucket)
  return integer(((atMs - ID_EPOCH_MS) * ID_TICKS_PER_MS + SCHEDULED_TICK) * buckets + bucket)
end
