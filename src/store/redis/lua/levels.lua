-- The challenge levels the replicas raised: offers this replica's, drops
-- the expired, answers the rest. A value is "<level>:<expiry, Unix s>"; a
-- name keeps the highest level offered until it expires.
-- KEYS  1 the hash
-- ARGV  1 now (Unix s)   2 until (Unix s)   3.. name, level, name, level…
local now = tonumber(ARGV[1])
local function parse(value)
  local level, expiry = string.match(value or '', '^(%d+):(%d+)$')
  if level then return tonumber(level), tonumber(expiry) end
  return nil, nil
end
for i = 3, #ARGV, 2 do
  local level, expiry = parse(redis.call('HGET', KEYS[1], ARGV[i]))
  if not (level and expiry > now and level > tonumber(ARGV[i + 1])) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ':' .. ARGV[2])
  end
end
if #ARGV > 2 then
  -- Relative to tally's clock, not Redis's: the hash outlives its last
  -- offer by a minute.
  redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[2]) - now, 0) + 60)
end
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local level, expiry = parse(all[i + 1])
  if level and expiry > now then
    out[#out + 1] = all[i]
    out[#out + 1] = tostring(level)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
