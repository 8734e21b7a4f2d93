-- Adds one batch of counter increments (at most once) and reads the
-- counters back. Every key is in the site's slot.
-- KEYS  1 batch marker, 2 visits total, 3 page views hash, 4 online zset,
--       5 baseline, 6 today, 7 yesterday, 8 this week, 9 this month,
--       10.. visit buckets to increment
-- ARGV  1 apply (1) or only read (0), 2 total increment, 3 online since ms,
--       4 most distinct pages, 5 bucket ttl s, 6 marker ttl s,
--       7 n buckets, then n increments (for KEYS[10..]),
--       then n pages, n (page, views) pairs,
--       then n seen, n (visit id, at_ms) pairs,
--       then n pages to read, the pages
-- Returns {baseline, total, today, yesterday, week, month, online,
--          views dropped by the distinct-page cap, distinct pages,
--          views of each page read...}
local i = 7
local function next_arg()
  i = i + 1
  return ARGV[i]
end

local dropped = 0
local fresh = ARGV[1] == '1' and redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[6])
local n = tonumber(ARGV[7])
-- The increments follow ARGV[7]; read them even when the batch is a resend.
i = 7
if fresh then
  redis.call('INCRBY', KEYS[2], ARGV[2])
  for k = 1, n do
    local key = KEYS[9 + k]
    redis.call('INCRBY', key, next_arg())
    redis.call('EXPIRE', key, ARGV[5])
  end
  local cap = tonumber(ARGV[4])
  local pages = tonumber(next_arg())
  local known = redis.call('HLEN', KEYS[3])
  for _ = 1, pages do
    local page = next_arg()
    local views = next_arg()
    if known < cap or redis.call('HEXISTS', KEYS[3], page) == 1 then
      if redis.call('HINCRBY', KEYS[3], page, views) == tonumber(views) then
        known = known + 1
      end
    else
      dropped = dropped + tonumber(views)
    end
  end
  local seen = tonumber(next_arg())
  for _ = 1, seen do
    local visit = next_arg()
    local at = next_arg()
    redis.call('ZADD', KEYS[4], 'GT', at, visit)
  end
else
  i = i + n
  i = i + 1 + 2 * tonumber(ARGV[i + 1])
  i = i + 1 + 2 * tonumber(ARGV[i + 1])
end

local since = ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. since)
local result = {
  tonumber(redis.call('GET', KEYS[5]) or '0'),
  tonumber(redis.call('GET', KEYS[2]) or '0'),
  tonumber(redis.call('GET', KEYS[6]) or '0'),
  tonumber(redis.call('GET', KEYS[7]) or '0'),
  tonumber(redis.call('GET', KEYS[8]) or '0'),
  tonumber(redis.call('GET', KEYS[9]) or '0'),
  redis.call('ZCARD', KEYS[4]),
  dropped,
  redis.call('HLEN', KEYS[3]),
}
local reads = tonumber(next_arg())
for _ = 1, reads do
  table.insert(result, tonumber(redis.call('HGET', KEYS[3], next_arg()) or '0'))
end
return result
