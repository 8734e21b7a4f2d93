-- Adds one batch of counter increments (at most once) and reads the
-- counters back. Every key is in the site's slot.
-- KEYS  1 batch marker, 2 visits total, 3 page views hash, 4 online zset,
--       5 baseline, 6 today, 7 yesterday, 8 this week, 9 this month,
--       10 today's pages (zset), 11 yesterday's pages (zset), 12 the pages
--       of the day no longer kept, 13 the marker of the whole batch when
--       KEYS[1] marks one part of it (a batch once written whole is not
--       written again in parts), else KEYS[1] again; then the keys the
--       sections below name; then the pages of the days before KEYS[12],
--       removed with it
-- ARGV  1 apply (1) or only read (0), 2 total increment, 3 online since ms,
--       4 most distinct pages, 5 bucket ttl s, 6 marker ttl s,
--       7 most pages a past day keeps, 8 days a day's pages are kept (s),
--       then the sections, each a count n and n entries:
--       visit buckets: n increments (one key each),
--       visits per day: n (field, increment) (one month hash key each),
--       pages: n (page, views),
--       pages per day: n (page, views) (one day zset key each),
--       seen: n (visit id, at_ms),
--       pages to read: n pages
-- Returns {baseline, total, today, yesterday, week, month, online,
--          views dropped by the distinct-page cap, distinct pages,
--          views of each page read...}
local a = 8
local function arg()
  a = a + 1
  return ARGV[a]
end
local k = 13
local function key()
  k = k + 1
  return KEYS[k]
end

-- A call given many values takes them in chunks of this many: Lua's C
-- stack, which `unpack` fills, holds a few thousand.
local CHUNK = 512

local top = tonumber(ARGV[7])
-- A past day keeps its `top` most-read pages.
local function trim(day_key)
  if redis.call('ZCARD', day_key) > top then
    redis.call('ZREMRANGEBYRANK', day_key, 0, -(top + 1))
  end
end

local dropped = 0
local fresh = ARGV[1] == '1'
  and (KEYS[13] == KEYS[1] or redis.call('EXISTS', KEYS[13]) == 0)
  and redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[6])
if fresh then
  redis.call('INCRBY', KEYS[2], ARGV[2])
  for _ = 1, tonumber(arg()) do
    local bucket = key()
    redis.call('INCRBY', bucket, arg())
    redis.call('EXPIRE', bucket, ARGV[5])
  end
  for _ = 1, tonumber(arg()) do
    redis.call('HINCRBY', key(), arg(), arg())
  end
  local cap = tonumber(ARGV[4])
  local known = redis.call('HLEN', KEYS[3])
  local kept = {}
  for _ = 1, tonumber(arg()) do
    local page = arg()
    local views = arg()
    if known < cap or redis.call('HEXISTS', KEYS[3], page) == 1 then
      kept[page] = true
      if redis.call('HINCRBY', KEYS[3], page, views) == tonumber(views) then
        known = known + 1
      end
    else
      dropped = dropped + tonumber(views)
    end
  end
  -- Each day's key once: its expiry set, and a past day trimmed after
  -- all of its views are in.
  local days, order = {}, {}
  for _ = 1, tonumber(arg()) do
    local day_key = key()
    local page = arg()
    local views = arg()
    if kept[page] then
      redis.call('ZINCRBY', day_key, views, page)
      if not days[day_key] then
        days[day_key] = true
        order[#order + 1] = day_key
        redis.call('EXPIRE', day_key, ARGV[8])
      end
    end
  end
  for _, day_key in ipairs(order) do
    if day_key ~= KEYS[10] and day_key ~= KEYS[11] then trim(day_key) end
  end
  trim(KEYS[11])
  redis.call('DEL', KEYS[12])
  -- The visits seen, many to a ZADD (GT applies to each member alone).
  local seen = {}
  for _ = 1, tonumber(arg()) do
    local visit = arg()
    seen[#seen + 1] = arg()
    seen[#seen + 1] = visit
    if #seen >= CHUNK then
      redis.call('ZADD', KEYS[4], 'GT', unpack(seen))
      seen = {}
    end
  end
  if #seen > 0 then redis.call('ZADD', KEYS[4], 'GT', unpack(seen)) end
  for i = k + 1, #KEYS do redis.call('DEL', KEYS[i]) end
else
  a = a + tonumber(arg())
  a = a + 2 * tonumber(arg())
  a = a + 2 * tonumber(arg())
  a = a + 2 * tonumber(arg())
  a = a + 2 * tonumber(arg())
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
-- The pages asked for, many to an HMGET.
local wanted = {}
for _ = 1, tonumber(arg()) do wanted[#wanted + 1] = arg() end
for first = 1, #wanted, CHUNK do
  local views = redis.call('HMGET', KEYS[3], unpack(wanted, first, math.min(first + CHUNK - 1, #wanted)))
  for i = 1, #views do
    result[#result + 1] = tonumber(views[i] or '0')
  end
end
return result
