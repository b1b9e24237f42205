-- Takes n deliveries of a job off the backlogs that admission counted its audience in: the
-- small or the other backlog of its author's bucket (the job's `small` field says which), and
-- the author's own. The author's counter is deleted when it is back at 0, so a key is left
-- only for authors with work outstanding. n may be negative: a job that delivered more than
-- its total (a follow made just before posting, not yet counted) gives the excess back at its end.
local function releaseBacklog(smallKey, otherKey, authorKey, small, n)
  if n == 0 then return end
  redis.call('DECRBY', small == '1' and smallKey or otherKey, n)
  if redis.call('DECRBY', authorKey, n) == 0 then
    redis.call('DEL', authorKey)
  end
end
