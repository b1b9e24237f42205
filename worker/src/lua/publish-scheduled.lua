--[[
  publish-scheduled: publish one scheduled tweet whose time has come, in its author's bucket.

  Why Lua: taking the tweet off the publish schedule and publishing it (the author's timeline
  and own tweets, the job queued, its entries on the fan-out lanes, the author's event) must be
  one step, as promote-retries.lua moves a retry. Taking it off is the gate: of two workers
  racing, only the one that finds it still on the schedule publishes it; a worker killed before
  or after the call leaves it either on the schedule or published, never half; and a crash of
  Redis keeps one or the other too (a script reaches the append-only file whole).
  cancel-scheduled.lua takes it off the schedule the same way, so a tweet is published or
  cancelled, never both.

  Back pressure: the tweet's deliveries are counted on the backlogs now, as the work starts, and
  no bound is checked. Counting them when it was scheduled would hold capacity for up to 30 days
  against work that does not exist yet, and could lock its author out of posting for that long;
  refusing now is impossible, since the tweet was accepted. So the bounds may be passed by the
  scheduled tweets that come due together, which is the honest cost of a promise made in advance.

  The tweet's id was fixed at scheduling to sort at its publish time (admit-tweet.lua), and its
  createdAt is that time; the job's enqueuedAt becomes now, so its duration counts from here.
  Its followers are those following now: the tweet keeps the follow sequence of this moment, as
  admission's do, so that a delete reaches the same followers (delete-tweet.lua). Whether it goes
  out on read is decided now too, by those followers against the threshold the admitting server
  had (the job keeps it): as admission decides for a tweet posted now (deliver-on-read).

  KEYS[1] publishSchedule: the bucket's publish schedule (sorted set: tweet id by publish ms)
  KEYS[2] tweet: the tweet hash
  KEYS[3] job: its post job's hash
  KEYS[4] scheduledBy: the author's tweets waiting to be published
  KEYS[5] audience: author's audience (hash)
  KEYS[6] userTweets: author's own tweets (sorted set)
  KEYS[7] timeline: author's home timeline (list, newest first)
  KEYS[8] smallLane: the bucket's fan-out stream, small lane
  KEYS[9] bulkLane: the bucket's fan-out stream, bulk lane
  KEYS[10] events: the bucket's events stream
  KEYS[11] backlog: the bucket's backlog counter of tweets that are not small
  KEYS[12] smallBacklog: the bucket's backlog counter of small tweets
  KEYS[13] authorBacklog: the author's backlog counter
  KEYS[14] journey: its post job's journey (list): the publication is a step of it, with the time the tweet was accepted
  KEYS[15] onReadAuthors: the bucket's authors whose tweets went out on read (set)
  KEYS[16] stats: the bucket's stats counters (the dashboard's delivery mix counts the tweet now, the way it goes)

  ARGV[1] tweetSeq: the tweet's id, as stored
  ARGV[2] timelineMax: TIMELINE_MAX
  ARGV[3] timelineTrimAt: timeline length at which it is trimmed back to TIMELINE_MAX
  ARGV[4] eventsMaxLen: events stream approximate max length
  ARGV[5] jobRetentionS: seconds a finished job record is kept
  ARGV[6] tweetIdDigits: digits of a tweet id as the API shows it
  ARGV[7] journeyMaxSteps: steps a journey keeps

  Returns one of
    {"published", jobId, total}   published by this call; total: its deliveries to make (0 on read)
    {"not-due"}                   still on the schedule, due later on Redis's clock
    {"gone"}                      not on the schedule: published or cancelled already

  Field names come from shared/src/records, idioms from shared/src/lua/includes.
]]

--- @include "time-ms"
--- @include "integer"
--- @include "push-and-trim"
--- @include "stats-record"
--- @include "tweet-record"
--- @include "job-record"
--- @include "audience-record"
--- @include "audience-chunks"
--- @include "fanout-entry-record"
--- @include "event-entry-record"
--- @include "done-at-once"
--- @include "enqueue-fan-out"
--- @include "journey-record"
--- @include "journey-step"
--- @include "deliver-on-read"

local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due then
  return {'gone'}
end
local nowMs = timeMs()
if tonumber(due) > nowMs then
  return {'not-due'}
end
local tweet = redis.call('HMGET', KEYS[2], TWEET.authorId, TWEET.job)
local job = redis.call('HMGET', KEYS[3], JOB.chunkSize, JOB.smallAudience, JOB.enqueuedAt, JOB.onReadThreshold)
local authorId, jobId = tweet[1], tweet[2]

-- The one write that can fail on damaged data (a timeline key of another type) comes first:
-- Redis does not undo a script's writes when it fails, and the tweet then stays on the schedule.
pushAndTrim(redis.call, KEYS[7], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[2], TWEET.publishAt)
redis.call('ZADD', KEYS[6], ARGV[1], ARGV[1])

local followSeq, counts, audienceTotal = readAudience(KEYS[5])
redis.call('HSET', KEYS[2], TWEET.followSeq, integer(followSeq))
local onReadThreshold = tonumber(job[4] or '0')
local delivery = (onReadThreshold > 0 and audienceTotal > onReadThreshold) and 'on-read' or 'fan-out'
local small = audienceTotal <= tonumber(job[2])
local tweetId = apiTweetId(ARGV[1], tonumber(ARGV[6]))
-- Before the job's own events (a tweet nobody follows is done at once): the author's client
-- moves the tweet into the timeline first, then counts its delivery.
redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[4], '*', EVENT.event, 'tweet:published', EVENT.to, authorId,
  EVENT.payload, cjson.encode({tweetId = tweetId, jobId = jobId, total = audienceTotal, delivery = delivery}))
redis.call('HINCRBY', KEYS[16], statsDeliveryField(delivery), 1)
local total = 0
if delivery == 'on-read' then
  deliverOnRead({tweet = KEYS[2], job = KEYS[3], events = KEYS[10], onReadAuthors = KEYS[15]},
    {jobId = jobId, tweetId = ARGV[1], authorId = authorId, followSeq = followSeq, total = audienceTotal, nowMs = nowMs,
      jobRetentionS = ARGV[5], eventsMaxLen = ARGV[4], tweetIdDigits = tonumber(ARGV[6])})
else
  total = enqueueFanOut(
    {job = KEYS[3], smallLane = KEYS[8], bulkLane = KEYS[9], events = KEYS[10], classBacklog = small and KEYS[12] or KEYS[11], authorBacklog = KEYS[13]},
    {jobId = jobId, tweetId = ARGV[1], authorId = authorId, followSeq = followSeq, counts = counts, total = audienceTotal,
      small = small, nowMs = nowMs, chunkSize = tonumber(job[1]), jobRetentionS = ARGV[5], eventsMaxLen = ARGV[4],
      tweetIdDigits = tonumber(ARGV[6])})
end
redis.call('HDEL', KEYS[3], JOB.chunkSize, JOB.smallAudience)
-- enqueueFanOut made enqueuedAt the publish time: the journey keeps when the tweet was accepted
-- (read before). After it, so that a job done at once (nobody follows) passes its TTL on.
recordJourneyStep(KEYS[14], KEYS[3], {[STEP.kind] = 'published', [STEP.at] = nowMs, [STEP.scheduledAt] = tonumber(job[3])}, tonumber(ARGV[7]))
return {'published', jobId, total}
