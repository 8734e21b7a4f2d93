-- Folds a previous counter's daily visits into the history and the total,
-- replacing what an earlier import said of the same days. Every key is in
-- the site's slot.
-- KEYS  1 visits total, then five keys per day: the month's visits per
--       day, the month's imported visits per day, the day's, week's and
--       month's visit buckets
-- ARGV  1 bucket ttl s, 2 days, then three per day: the day's field in its
--       month's hashes, its visits, which buckets the counters show
--       (1 the day, 2 the week, 4 the month; a sum)
-- Returns {days whose import is new or changed, what the total changed by}
local changed, added = 0, 0
for d = 0, tonumber(ARGV[2]) - 1 do
  local days, imported = KEYS[2 + d * 5], KEYS[3 + d * 5]
  local field = ARGV[3 + d * 3]
  local visits = tonumber(ARGV[4 + d * 3])
  local shown = tonumber(ARGV[5 + d * 3])
  local before = redis.call('HGET', imported, field)
  local delta = visits - tonumber(before or '0')
  if not before or delta ~= 0 then
    changed = changed + 1
    redis.call('HSET', imported, field, ARGV[4 + d * 3])
  end
  if delta ~= 0 then
    local by = string.format('%.0f', delta)
    added = added + delta
    redis.call('HINCRBY', days, field, by)
    redis.call('INCRBY', KEYS[1], by)
    for bit, key in pairs({[1] = KEYS[4 + d * 5], [2] = KEYS[5 + d * 5], [4] = KEYS[6 + d * 5]}) do
      if math.floor(shown / bit) % 2 == 1 then
        redis.call('INCRBY', key, by)
        redis.call('EXPIRE', key, ARGV[1])
      end
    end
  end
end
return {changed, string.format('%.0f', added)}
