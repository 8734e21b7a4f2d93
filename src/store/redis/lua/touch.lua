-- A visitor's hit, on the visitor's own state only.
-- KEYS[1]  the visitor's state hash: 't' = last hit, 'p:<page>' = last view,
--          'i:<hit id>' = what a hit that counted something turned out to be
-- KEYS[2]  optional: a newly issued cookie identity that continues this
--          visitor; it receives a copy of the state
-- ARGV     at_ms, window_ms, page ('' for none), most pages remembered, hit id
-- Returns  {new_visit, new_page_view} as 0 or 1.
local hit = 'i:' .. ARGV[5]
local page = ARGV[3]
local field = 'p:' .. page
local state = redis.call('HMGET', KEYS[1], hit, 't', field)
if state[1] then
  -- The same hit again, its first answer lost: the same answer, no change.
  return {tonumber(string.sub(state[1], 1, 1)), tonumber(string.sub(state[1], 2, 2))}
end
local at = tonumber(ARGV[1])
local window = tonumber(ARGV[2])

local last = tonumber(state[2])
local new_visit = 0
if last == nil or at - last >= window then new_visit = 1 end
-- A hit replayed from the outage buffer may be older than one already seen.
local latest = at
if last ~= nil and last > at then latest = last end

local writes = {'t', latest}
local new_view = 0
if page ~= '' then
  local seen = tonumber(state[3])
  if seen == nil or at - seen >= window then new_view = 1 end
  if seen == nil and redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then
    -- Someone opening very many pages in one window: forget their pages
    -- rather than let the hash grow without bound.
    redis.call('DEL', KEYS[1])
  end
  if seen == nil or at > seen then
    writes[#writes + 1] = field
    writes[#writes + 1] = at
  end
end
if new_visit == 1 or new_view == 1 then
  writes[#writes + 1] = hit
  writes[#writes + 1] = new_visit .. new_view
end
redis.call('HSET', KEYS[1], unpack(writes))
-- Relative expiry, with a minute's slack for clock skew between replicas.
redis.call('PEXPIRE', KEYS[1], latest - at + window + 60000)
if KEYS[2] then
  redis.call('COPY', KEYS[1], KEYS[2], 'REPLACE')
end
return {new_visit, new_view}
