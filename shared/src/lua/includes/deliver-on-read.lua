-- A tweet that travels on read (FANOUT_ON_READ_THRESHOLD): what admission does for a tweet
-- posted now and publish-scheduled.lua for a scheduled one coming due, written once.
-- Needs the integer, tweet-record, job-record, event-entry-record and done-at-once includes before it.

-- Records the post job of tweet a.tweetId as done at a.nowMs with delivered = total = a.total,
-- the followers at posting: nothing is written to their timelines, their reads merge the
-- author's tweets (the author joins k.onReadAuthors for that), and no backlog is counted, since
-- no work is left. Connected followers are told by one event naming the audience, not its
-- members: each server node finds its own connected users among the author's followers
-- (event-relay.ts), so the cost follows the users online, not the million who follow.
--   k: tweet, job, events, onReadAuthors
--   a: jobId, tweetId, authorId, followSeq, total, nowMs, jobRetentionS, eventsMaxLen, tweetIdDigits
local function deliverOnRead(k, a)
  redis.call('HSET', k.job,
    JOB.id, a.jobId, JOB.tweetSeq, a.tweetId, JOB.authorId, a.authorId, JOB.delivery, 'on-read', JOB.status, 'done',
    JOB.delivered, a.total, JOB.total, a.total, JOB.enqueuedAt, a.nowMs,
    JOB.startedAt, a.nowMs, JOB.finishedAt, a.nowMs, JOB.error, '', JOB.chunksLeft, 0)
  redis.call('EXPIRE', k.job, a.jobRetentionS)
  redis.call('HSET', k.tweet, TWEET.delivery, 'on-read')
  redis.call('SADD', k.onReadAuthors, a.authorId)
  redis.call('XADD', k.events, 'MAXLEN', '~', a.eventsMaxLen, '*', EVENT.event, 'timeline:new',
    EVENT.followersOf, a.authorId .. ':' .. integer(a.followSeq), EVENT.tweet, a.tweetId)
  publishDoneAtOnce(k.events, a.eventsMaxLen, a.authorId, a.jobId, a.tweetId, a.tweetIdDigits, a.total)
end
