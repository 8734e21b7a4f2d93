-- A visitor's hit, on the visitor's own state only: the rules of
-- src/counter/visit.rs, stated again for Redis (the store conformance suite
-- pins both to the same cases).
-- KEYS[1]  the visitor's state hash: 't' latest hit (ms), 'v' current visit
--          (the id of the hit that began it), 'd' the day it began
--          (yyyymmdd), 'p:<page key>' = '<latest hit ms>:<id of the hit
--          that counted the view>'
-- KEYS[2]  optional: an address-hash identity in the same slot whose live
--          visit this visitor continues when it has no state of its own
-- ARGV     at_ms, window_ms, day, page key ('' for none), most pages, hit id,
--          expiry slack ms
-- Returns  {new_visit, new_page_view, visit id, capped} (0/1, string, 0/1)
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local day = ARGV[3]
-- Without a page, 't' stands in for the page's field: one HMGET reads all.
local field = ARGV[4] ~= '' and ('p:' .. ARGV[4]) or 't'
local most = tonumber(ARGV[5])
local id = ARGV[6]

local s = redis.call('HMGET', KEYS[1], 't', 'v', 'd', field)
if not s[1] and KEYS[2] then
  local h = redis.call('HMGET', KEYS[2], 't', 'd')
  if h[1] and at - tonumber(h[1]) < window and h[2] == day then
    local all = redis.call('HGETALL', KEYS[2])
    redis.call('HSET', KEYS[1], unpack(all))
    s = redis.call('HMGET', KEYS[1], 't', 'v', 'd', field)
  end
end
local t = s[1]

local writes = {}
local new_visit = 0
local visit = id
local last = tonumber(t)
if last == nil then
  new_visit = 1
  writes = {'v', id, 'd', day}
else
  visit = s[2]
  if visit == id then
    new_visit = 1
  elseif at - last >= window or (s[3] ~= day and at >= last) then
    new_visit = 1
    visit = id
    writes = {'v', id, 'd', day}
  end
end
-- A hit replayed from the outage buffer may be older than one already seen.
local latest = at
local latest_text = ARGV[1]
if last ~= nil and last > at then
  latest = last
  latest_text = t
end
writes[#writes + 1] = 't'
writes[#writes + 1] = latest_text

local new_view = 0
local capped = 0
if field ~= 't' then
  local seen = s[4]
  if seen then
    local sep = string.find(seen, ':', 1, true)
    local seen_at = tonumber(string.sub(seen, 1, sep - 1))
    local counted_by = string.sub(seen, sep + 1)
    if counted_by == id then
      new_view = 1
    elseif at - seen_at >= window then
      new_view = 1
      writes[#writes + 1] = field
      writes[#writes + 1] = ARGV[1] .. ':' .. id
    elseif at > seen_at then
      writes[#writes + 1] = field
      writes[#writes + 1] = ARGV[1] .. ':' .. counted_by
    end
  else
    -- Three fields are not pages: t, v, d.
    local len = redis.call('HLEN', KEYS[1]) - 3
    if len >= most then
      local all = redis.call('HGETALL', KEYS[1])
      for k = 1, #all, 2 do
        local name = all[k]
        if string.sub(name, 1, 2) == 'p:' then
          local value = all[k + 1]
          local seen_at = tonumber(string.sub(value, 1, string.find(value, ':', 1, true) - 1))
          if at - seen_at >= window then redis.call('HDEL', KEYS[1], name) end
        end
      end
      len = redis.call('HLEN', KEYS[1]) - 3
    end
    if len >= most then
      capped = 1
    else
      new_view = 1
      writes[#writes + 1] = field
      writes[#writes + 1] = ARGV[1] .. ':' .. id
    end
  end
end
redis.call('HSET', KEYS[1], unpack(writes))
-- Relative expiry, with slack for clock skew between replicas.
redis.call('PEXPIRE', KEYS[1], latest - at + window + tonumber(ARGV[7]))
return {new_visit, new_view, visit, capped}
