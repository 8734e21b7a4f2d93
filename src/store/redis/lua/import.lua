-- Switches a staged import in, at once: folds a previous counter's daily
-- visits into the history and the total, replacing what an earlier import
-- said of the same days; keeps the outcome under the import's id and
-- deletes the stage. An import settled before (applied or abandoned) is
-- not switched again, and an incomplete stage is abandoned: either way
-- the kept outcome is the answer. Every key is in the site's slot.
-- KEYS  1 visits total, 2 the stage, 3 the import's outcome, then two per
--       month: its visits per day, its imported visits per day; then three
--       per day the counters show: the day's, week's and month's buckets
-- ARGV  1 bucket ttl s, 2 outcome ttl s, 3 days in the import, 4 months m,
--       then the m months (`yyyy-mm`), then shown days s, then three per
--       shown day: its month, its day of the month, which buckets the
--       counters show (1 the day, 2 the week, 4 the month; a sum)
-- Returns the outcome: `applied <days> <changed> <added>` or `abandoned`
local kept = redis.call('GET', KEYS[3])
if kept then
  return kept
end
local function abandon()
  redis.call('SET', KEYS[3], 'abandoned', 'EX', ARGV[2])
  redis.call('DEL', KEYS[2])
  return 'abandoned'
end
local months, m = {}, tonumber(ARGV[4])
for i = 1, m do
  months[ARGV[4 + i]] = i
end
local shown, s = {}, tonumber(ARGV[5 + m])
for i = 1, s do
  local month, field = ARGV[3 + m + 3 * i], ARGV[4 + m + 3 * i]
  shown[month] = shown[month] or {}
  shown[month][field] = {bits = tonumber(ARGV[5 + m + 3 * i]), key = 1 + 2 * m + 3 * i}
end
-- The stage holds each month's days as `dd=visits dd=visits …`; all are
-- read and counted before anything is written.
local staged = redis.call('HGETALL', KEYS[2])
local count = 0
for i = 1, #staged, 2 do
  if not months[staged[i]] then
    return abandon()
  end
  for _ in string.gmatch(staged[i + 1], '%d%d=%d+') do
    count = count + 1
  end
end
if count ~= tonumber(ARGV[3]) then
  return abandon()
end
-- Each month: two reads, two writes and the total, whatever its days.
local changed, added = 0, 0
for i = 1, #staged, 2 do
  local month, index = staged[i], months[staged[i]]
  local per_day, imported = KEYS[2 + 2 * index], KEYS[3 + 2 * index]
  local fields, figures = {}, {}
  for field, visits in string.gmatch(staged[i + 1], '(%d%d)=(%d+)') do
    fields[#fields + 1] = field
    figures[#figures + 1] = visits
  end
  local before = redis.call('HMGET', imported, unpack(fields))
  local counted = redis.call('HMGET', per_day, unpack(fields))
  local replaced, moved, month_added = {}, {}, 0
  for j, field in ipairs(fields) do
    local delta = tonumber(figures[j]) - tonumber(before[j] or '0')
    if not before[j] or delta ~= 0 then
      changed = changed + 1
      replaced[#replaced + 1] = field
      replaced[#replaced + 1] = figures[j]
    end
    if delta ~= 0 then
      month_added = month_added + delta
      moved[#moved + 1] = field
      moved[#moved + 1] = string.format('%.0f', tonumber(counted[j] or '0') + delta)
      local bucket = shown[month] and shown[month][field]
      if bucket then
        local by = string.format('%.0f', delta)
        for bit, offset in pairs({[1] = 0, [2] = 1, [4] = 2}) do
          if math.floor(bucket.bits / bit) % 2 == 1 then
            redis.call('INCRBY', KEYS[bucket.key + offset], by)
            redis.call('EXPIRE', KEYS[bucket.key + offset], ARGV[1])
          end
        end
      end
    end
  end
  if #replaced > 0 then
    redis.call('HSET', imported, unpack(replaced))
  end
  if #moved > 0 then
    redis.call('HSET', per_day, unpack(moved))
    redis.call('INCRBY', KEYS[1], string.format('%.0f', month_added))
    added = added + month_added
  end
end
local outcome = string.format('applied %s %.0f %.0f', ARGV[3], changed, added)
redis.call('SET', KEYS[3], outcome, 'EX', ARGV[2])
redis.call('DEL', KEYS[2])
return outcome
