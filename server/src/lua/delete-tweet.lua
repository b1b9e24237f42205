--[[
  delete-tweet: delete one published tweet in its author's bucket, and queue the removal of its
  copies from its followers' timelines as a job of kind "delete".

  Why Lua: the checks (is it the caller's? is it deleted already?) and every write (tombstone,
  the author's own timeline and tweets, the delete job, its stream entries, the stop of the post
  job here) must happen together: two racing deletes create one job, and an answered delete
  always has its job queued. A MULTI cannot branch on what it reads; a script can. Every key is
  in the author's bucket, so on a Redis Cluster this runs on one master.

  The tombstone (the tweet's deletedAt) is what removes the tweet from every read at once:
  readers treat a tombstoned tweet as missing, so no timeline shows it whatever it still holds.
  The job then takes the copies out, page by page (delete-page.lua), over the followers the post
  was for: those scored up to the tweet's follow sequence, cut into chunks over the buckets as
  admission cuts them. Each page also stops the post job in its bucket, so a delivery still in
  flight never writes the tweet back (delete-page.lua says why). Here the post job is stopped in
  this bucket at once: on a single Redis that is every follower.

  Its total is what the post delivered; while the post still runs, what it may yet deliver (its
  total), and the job ends with total = what it removed (report-chunks.lua). Its work counts in
  the backlogs like a post's, and is released by its reports the same way.

  A tweet that went out on read is in no follower's timeline: the tombstone is the whole removal,
  so its delete job (delivery "on-read" too) is done at once with total = delivered = the post's
  delivered, and connected followers hear of it as they heard of the tweet, by one event naming
  the audience (deliver-on-read): those following now, since reads merge by today's follows.

  KEYS[1] tweet: the tweet (hash)
  KEYS[2] userTweets: author's own tweets (sorted set)
  KEYS[3] timeline: author's home timeline (list)
  KEYS[4] audience: author's audience (hash)
  KEYS[5] jobSeq: job id counter of the bucket
  KEYS[6] smallLane: the bucket's fan-out stream, small lane
  KEYS[7] bulkLane: the bucket's fan-out stream, bulk lane
  KEYS[8] events: the bucket's events stream
  KEYS[9] backlog: the bucket's backlog counter of jobs that are not small
  KEYS[10] smallBacklog: the bucket's backlog counter of small jobs
  KEYS[11] authorBacklog: the author's backlog counter

  ARGV[1] callerId: the user asking to delete
  ARGV[2] tweetSeq: the tweet's id as stored
  ARGV[3] tweetId: the tweet's id as the API shows it (in event payloads)
  ARGV[4] jobPrefix: job key prefix of the bucket
  ARGV[5] cursorPrefix: cursor key prefix of the bucket (the post job's cursors here are prefix .. its id)
  ARGV[6] chunkSize: FANOUT_CHUNK_SIZE: followers per chunk
  ARGV[7] smallAudience: FANOUT_SMALL_AUDIENCE: a job of at most this many is counted in the small backlog
  ARGV[8] jobRetentionS: seconds a finished job record is kept
  ARGV[9] stoppedRetentionS: seconds a post job's stop is kept (longer than any copy of its chunks may run)
  ARGV[10] eventsMaxLen: events stream approximate max length
  ARGV[11] buckets: number of buckets
  ARGV[12] bucket: this bucket

  Returns one of
    {"deleted", job}    job: the delete job as a flat HGETALL field list
    {"not-found"}       no such tweet, deleted already, or still scheduled: nothing written
    {"forbidden"}       another user's tweet: nothing written
]]

--- @include "time-ms"
--- @include "integer"
--- @include "tweet-record"
--- @include "job-record"
--- @include "cursor-record"
--- @include "audience-record"
--- @include "audience-chunks"
--- @include "next-id"
--- @include "fanout-entry-record"
--- @include "event-entry-record"

local tweet = redis.call('HMGET', KEYS[1], TWEET.authorId, TWEET.deletedAt, TWEET.job, TWEET.followSeq, TWEET.publishAt, TWEET.delivery)
-- A scheduled tweet not yet published is cancelled (cancel-scheduled.lua), never deleted here:
-- its tombstone would not take it off the publish schedule.
if not tweet[1] or tweet[2] or tweet[5] then
  return {'not-found'}
end
if tweet[1] ~= ARGV[1] then
  return {'forbidden'}
end

local nowMs = timeMs()
local authorId, postJobId = tweet[1], tweet[3]
redis.call('HSET', KEYS[1], TWEET.deletedAt, nowMs)
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('LREM', KEYS[3], 1, ARGV[2])

local seqNow, counts, audienceTotal = readAudience(KEYS[4])
-- Tweets stored before they kept their follow sequence: everyone following now, a superset.
local followSeq = tonumber(tweet[4] or seqNow)
local chunks = audienceChunks(counts, followSeq, tonumber(ARGV[6]))

local total = audienceTotal
local onRead = tweet[6] == 'on-read'
if postJobId then
  local postKey = ARGV[4] .. postJobId
  local post = redis.call('HMGET', postKey, JOB.status, JOB.delivered, JOB.total, JOB.tweetSeq)
  if post[4] == ARGV[2] then
    local running = post[1] == 'queued' or post[1] == 'running'
    total = tonumber(running and post[3] or post[2])
  end
  local stop = ARGV[5] .. postJobId
  redis.call('HSET', stop, CURSOR.stopped, 1)
  redis.call('EXPIRE', stop, ARGV[9])
end

local jobId = nextId(KEYS[5], nowMs, tonumber(ARGV[11]), tonumber(ARGV[12]))
local jobKey = ARGV[4] .. jobId
local small = total <= tonumber(ARGV[7])
redis.call('HSET', jobKey,
  JOB.id, jobId, JOB.kind, 'delete', JOB.tweetSeq, ARGV[2], JOB.authorId, authorId, JOB.status, 'queued',
  JOB.delivered, 0, JOB.total, total, JOB.enqueuedAt, nowMs,
  JOB.startedAt, '', JOB.finishedAt, '', JOB.error, '', JOB.chunksLeft, #chunks, JOB.small, small and 1 or 0)

local function publish(event, payload)
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[10], '*', EVENT.event, event, EVENT.to, authorId, EVENT.payload, cjson.encode(payload))
end
publish('tweet:deleted', {tweetId = ARGV[3]})

if onRead then
  redis.call('HSET', jobKey, JOB.delivery, 'on-read', JOB.status, 'done', JOB.delivered, total, JOB.chunksLeft, 0,
    JOB.startedAt, nowMs, JOB.finishedAt, nowMs)
  redis.call('EXPIRE', jobKey, ARGV[8])
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[10], '*', EVENT.event, 'tweet:deleted',
    EVENT.followersOf, authorId .. ':' .. integer(seqNow), EVENT.payload, cjson.encode({tweetId = ARGV[3]}))
  publish('fanout:done', {jobId = jobId, tweetId = ARGV[3], delivered = total, total = total, durationMs = 0})
elseif #chunks == 0 then
  -- Nobody ever followed: nothing to take back.
  redis.call('HSET', jobKey, JOB.status, 'done', JOB.total, 0, JOB.startedAt, nowMs, JOB.finishedAt, nowMs)
  redis.call('EXPIRE', jobKey, ARGV[8])
  publish('fanout:done', {jobId = jobId, tweetId = ARGV[3], delivered = 0, total = 0, durationMs = 0})
else
  if total > 0 then
    redis.call('INCRBY', small and KEYS[10] or KEYS[9], total)
    redis.call('INCRBY', KEYS[11], total)
  end
  -- Lanes as admission picks them, by the followers to visit: one entry when they fit in a chunk.
  if audienceTotal <= tonumber(ARGV[6]) then
    redis.call('XADD', KEYS[6], '*', ENTRY.job, jobId, ENTRY.tweet, ARGV[2], ENTRY.author, authorId, ENTRY.chunks, table.concat(chunks, ' '))
  else
    for _, chunk in ipairs(chunks) do
      redis.call('XADD', KEYS[7], '*', ENTRY.job, jobId, ENTRY.tweet, ARGV[2], ENTRY.author, authorId, ENTRY.chunks, chunk)
    end
  end
end

return {'deleted', redis.call('HGETALL', jobKey)}
