-- Putting a tweet's fan-out on the lanes: what admission does for a tweet posted now and
-- publish-scheduled.lua for a scheduled one coming due, written once. Reading the audience and
-- cutting it into chunks is audience-chunks' (shared with delete-tweet.lua).
-- Needs the integer, audience-record, audience-chunks, job-record, fanout-entry-record,
-- event-entry-record and done-at-once includes before it.

-- Records the post job of tweet a.tweetId as queued at a.nowMs and appends its fan-out over the
-- followers scored up to a.followSeq: one entry on the small lane for an audience that fits in one
-- chunk, else one entry per chunk on the bulk lane; a tweet nobody follows is done at once. Its
-- deliveries are counted on the backlogs (k.classBacklog: the small or the other one, as a.small
-- says; and the author's). Returns the deliveries to make.
-- An "inline" delivery (a.delivery; admission's choice) is run by the server inside the request
-- instead: its one entry goes on the retry schedule (k.retrySchedule), due at a.takeoverAt, from
-- where the workers put it on its lane (promote-retries.lua) should the server not finish it in
-- time. Its pages are the same as a worker's and resume from their cursors, so whoever runs them,
-- once or both at once, each follower gets the tweet once; the job's end takes the entry off
-- the schedule (report-chunks.lua).
--   k: job, smallLane, bulkLane, events, classBacklog, authorBacklog, retrySchedule (inline only)
--   a: jobId, tweetId, authorId, followSeq, counts and total (readAudience), small, nowMs,
--      chunkSize, jobRetentionS, eventsMaxLen, tweetIdDigits; delivery and takeoverAt (inline only)
local function enqueueFanOut(k, a)
  local chunks = audienceChunks(a.counts, a.followSeq, a.chunkSize)
  local total = a.total
  redis.call('HSET', k.job,
    JOB.id, a.jobId, JOB.tweetSeq, a.tweetId, JOB.authorId, a.authorId, JOB.status, 'queued',
    JOB.delivered, 0, JOB.total, total, JOB.enqueuedAt, a.nowMs, JOB.delivery, a.delivery or 'fan-out',
    JOB.startedAt, '', JOB.finishedAt, '', JOB.error, '', JOB.chunksLeft, #chunks, JOB.small, a.small and 1 or 0)

  if #chunks == 0 then
    -- Nobody to deliver to, not even a follow on its way: the job is done the moment it exists.
    redis.call('HSET', k.job, JOB.status, 'done', JOB.total, 0, JOB.startedAt, a.nowMs, JOB.finishedAt, a.nowMs)
    redis.call('EXPIRE', k.job, a.jobRetentionS)
    publishDoneAtOnce(k.events, a.eventsMaxLen, a.authorId, a.jobId, a.tweetId, a.tweetIdDigits, 0)
    return total
  end
  -- Only work counts: an author's counter exists only while they have deliveries outstanding.
  if total > 0 then
    redis.call('INCRBY', k.classBacklog, total)
    redis.call('INCRBY', k.authorBacklog, total)
  end
  if a.delivery == 'inline' then
    local entry = cjson.encode({[ENTRY.lane] = 'small', [ENTRY.job] = a.jobId, [ENTRY.tweet] = a.tweetId, [ENTRY.author] = a.authorId,
      [ENTRY.chunks] = table.concat(chunks, ' ')})
    redis.call('ZADD', k.retrySchedule, a.takeoverAt, entry)
    redis.call('HSET', k.job, JOB.inlineEntry, entry)
  elseif total <= a.chunkSize then
    redis.call('XADD', k.smallLane, '*', ENTRY.job, a.jobId, ENTRY.tweet, a.tweetId, ENTRY.author, a.authorId, ENTRY.chunks, table.concat(chunks, ' '))
  else
    for _, chunk in ipairs(chunks) do
      redis.call('XADD', k.bulkLane, '*', ENTRY.job, a.jobId, ENTRY.tweet, a.tweetId, ENTRY.author, a.authorId, ENTRY.chunks, chunk)
    end
  end
  return total
end
