-- An author's audience and how a fan-out over it is cut into chunks: written once for admission
-- and publish-scheduled.lua (through enqueue-fan-out) and delete-tweet.lua.
-- Needs the integer and audience-record includes before it.

-- An author's audience as their audience hash holds it (audience-record): the follow sequence
-- now, and per follower bucket {bucket, followers there}, with the followers in all.
local function readAudience(key)
  local audience = redis.call('HGETALL', key)
  local seq, counts, total = 0, {}, 0
  for i = 1, #audience, 2 do
    local field, value = audience[i], tonumber(audience[i + 1])
    if field == AUDIENCE.seq then
      seq = value
    elseif string.sub(field, 1, #audienceCountField('')) == audienceCountField('') then
      counts[#counts + 1] = {tonumber(string.sub(field, #audienceCountField('') + 1)), value}
      total = total + value
    end
  end
  return seq, counts, total
end

-- Chunks as "bucket:lo:hi": a bucket with n followers is cut into ceil(n / chunkSize) score
-- ranges of equal width over (0, hi]. A bucket counted 0 still gets one: a follow there may
-- be written and its count not yet synced (follows.ts), and an empty page costs little.
-- They are listed round-robin over the buckets (each bucket's first range, then each one's
-- second, ...): workers take bulk chunks in stream order, and consecutive chunks of one bucket
-- would send every worker to the same master while the other masters idle.
local function audienceChunks(counts, hi, chunkSize)
  local ranges = {}
  local mostParts = 0
  for _, entry in ipairs(counts) do
    local parts = math.min(math.max(1, math.ceil(entry[2] / chunkSize)), hi)
    local own = {}
    local lo = 0
    for k = 1, parts do
      local upper = math.floor(hi * k / parts)
      own[k] = entry[1] .. ':' .. integer(lo) .. ':' .. integer(upper)
      lo = upper
    end
    ranges[#ranges + 1] = own
    mostParts = math.max(mostParts, parts)
  end
  local chunks = {}
  for k = 1, mostParts do
    for _, own in ipairs(ranges) do
      if own[k] then chunks[#chunks + 1] = own[k] end
    end
  end
  return chunks
end
