--[[
  cancel-scheduled: cancel a scheduled tweet that is not yet published, in its author's bucket.

  Why Lua: taking the tweet off the publish schedule and deleting it must be one step, and must
  not happen to a tweet a worker has just published: publish-scheduled.lua takes it off the same
  schedule, and whichever comes first wins. A MULTI cannot branch on what the removal answers.

  KEYS[1] publishSchedule: the bucket's publish schedule (sorted set: tweet id by publish ms)
  KEYS[2] tweet: the tweet hash
  KEYS[3] job: its post job's hash
  KEYS[4] scheduledBy: the author's tweets waiting to be published

  ARGV[1] tweetSeq: the tweet's id, as stored

  Returns "cancelled" (tweet and job deleted: it is never published), or "not-scheduled" (not on
  the schedule: published, cancelled, or never scheduled; nothing written).
]]

if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 'not-scheduled'
end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 'cancelled'
