-- A post job finished the moment it is recorded (a tweet nobody follows, or one that travels on
-- read): its fanout:done, written once for the includes that finish such jobs, and the API's
-- spelling of a stored tweet id (zero-padded to tweetIdDigits), which events carry.
-- Needs the event-entry-record include before it.

local function apiTweetId(tweetSeq, tweetIdDigits)
  return string.rep('0', tweetIdDigits - #tweetSeq) .. tweetSeq
end

-- Tells the author the job is done, with `count` delivered of `count`, taking no time.
local function publishDoneAtOnce(events, eventsMaxLen, authorId, jobId, tweetSeq, tweetIdDigits, count)
  redis.call('XADD', events, 'MAXLEN', '~', eventsMaxLen, '*', EVENT.event, 'fanout:done', EVENT.to, authorId,
    EVENT.payload, cjson.encode({jobId = jobId, tweetId = apiTweetId(tweetSeq, tweetIdDigits),
      delivered = count, total = count, durationMs = 0}))
end
