-- Deletes the audit log's entries written before a time, oldest first
-- (the list's tail): at most ARGV[2] of them. An entry whose time cannot
-- be read stops the sweep (the count cap still bounds the log).
-- KEYS  1 the audit list
-- ARGV  1 the time (ms), 2 most entries
-- Returns how many were deleted
local before = tonumber(ARGV[1])
local gone = 0
while gone < tonumber(ARGV[2]) do
  local last = redis.call('LINDEX', KEYS[1], -1)
  if not last then break end
  local ok, entry = pcall(cjson.decode, last)
  if not ok or type(entry) ~= 'table' or type(entry.at) ~= 'string' then break end
  local y, mo, d, h, mi, s = string.match(entry.at, '^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
  if not y then break end
  -- Days from the civil date (UTC), as in Howard Hinnant's days_from_civil.
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (mo + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  local ms = ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(s) * 1000
  -- Within its second, an entry counts as written at the second's end.
  if ms + 999 >= before then break end
  redis.call('RPOP', KEYS[1])
  gone = gone + 1
end
return gone
