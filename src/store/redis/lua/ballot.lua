-- Counts one ballot exactly once, or says why not, in the poll's slot: the
-- rules of `judge` in src/poll.rs, in the same order, stated again for
-- Redis (the store conformance suite pins both to one table of cases).
-- KEYS  1 meta, 2 counts, 3 voters, 4 ballots per address on this day,
--       5 this try's fence, 6 ballots per day, 7 the spent challenge (meta
--       when none)
-- ARGV  1 when to judge it (ms; 0: now, by this server's clock), 2 visitor,
--       3 address hash, 4 cap per address, 5 ttl of the per-address
--       counts (s), 6 ballot id, 7 this try, 8 proof ('solved', 'form',
--       'missing'), 9 how long to remember the spent challenge (ms), 10 the cap
--       per address of a form post, 11 the ballot's local day, 12 the cap per
--       address of a solved ballot, 13 how many networks (n), 14.. n pairs:
--       a network hash and its cap, then the chosen option ids
-- A network's ballots are counted in KEYS[4] beside the addresses, under
-- 'n:<network hash>'.
-- A spent challenge holds '<ballot id>/<visitor>': only a retry of that
-- ballot by that person may bring the solution again.
-- A voter's record is '<ballot id>/<try>|<option ids, comma-separated>';
-- the counts hold each option's ballots and '_voters', the people who voted.
-- Returns nil when the poll does not exist, {'fenced'} when this try was
-- retracted before it arrived (its caller heard 503, so it must not count),
-- else {verdict, definition, this visitor's record or '', {counts}}
if redis.call('EXISTS', KEYS[5]) == 1 then return {'fenced'} end
local meta = redis.call('HMGET', KEYS[1], 'def', 'opens', 'closes', 'max', 'options', 'challenge', 'draft')
if not meta[1] then return nil end

local function answer(verdict, voted)
  return {verdict, meta[1], voted or '', redis.call('HGETALL', KEYS[2])}
end

local at = tonumber(ARGV[1])
if at == 0 then
  local now = redis.call('TIME')
  at = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
local prior = redis.call('HGET', KEYS[3], ARGV[2])
if prior then
  local tag = ARGV[6] .. '/'
  if string.sub(prior, 1, #tag) ~= tag then return answer('already_voted', prior) end
  -- The same ballot again (its answer was lost): this try claims it, so
  -- a retraction of an earlier try leaves it counted.
  local bar = string.find(prior, '|', 1, true)
  local record = tag .. ARGV[7] .. string.sub(prior, bar)
  redis.call('HSET', KEYS[3], ARGV[2], record)
  return answer('accepted', record)
end
-- A draft takes no ballot until it is published ('draft' is absent on
-- polls written before drafts).
if meta[7] == '1' then return answer('not_yet_open') end
if meta[2] ~= '' and at < tonumber(meta[2]) then return answer('not_yet_open') end
if meta[3] ~= '' and at >= tonumber(meta[3]) then return answer('closed') end

local networks = tonumber(ARGV[13])
local options = {}
for id in string.gmatch(meta[5], '[^,]+') do options[id] = true end
local chosen = {}
local choices = {}
for k = 14 + 2 * networks, #ARGV do
  local id = ARGV[k]
  if not options[id] or chosen[id] then return answer('invalid_choice') end
  chosen[id] = true
  table.insert(choices, id)
end
if #choices == 0 or #choices > tonumber(meta[4]) then return answer('invalid_choice') end

local cap = tonumber(ARGV[4])
local challenged = meta[6] == 'on' or meta[6] == 'auto'
if challenged then
  if ARGV[8] == 'solved' then
    local spent_by = redis.call('GET', KEYS[7])
    if spent_by and spent_by ~= ARGV[6] .. '/' .. ARGV[2] then return answer('challenge_replayed') end
    cap = math.max(cap, tonumber(ARGV[12]))
  elseif ARGV[8] == 'form' then
    cap = math.min(cap, tonumber(ARGV[10]))
  else
    return answer('challenge_required')
  end
end

local from_address = tonumber(redis.call('HGET', KEYS[4], ARGV[3]) or '0')
if from_address >= cap then return answer('address_cap') end
for i = 0, networks - 1 do
  local field = 'n:' .. ARGV[14 + 2 * i]
  local held = tonumber(redis.call('HGET', KEYS[4], field) or '0')
  if held >= tonumber(ARGV[15 + 2 * i]) then return answer('address_cap') end
end

local record = ARGV[6] .. '/' .. ARGV[7] .. '|' .. table.concat(choices, ',')
redis.call('HSET', KEYS[3], ARGV[2], record)
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
for i = 0, networks - 1 do
  redis.call('HINCRBY', KEYS[4], 'n:' .. ARGV[14 + 2 * i], 1)
end
redis.call('EXPIRE', KEYS[4], ARGV[5])
for _, id in ipairs(choices) do
  redis.call('HINCRBY', KEYS[2], id, 1)
  redis.call('HINCRBY', KEYS[6], ARGV[11] .. '|' .. id, 1)
end
redis.call('HINCRBY', KEYS[2], '_voters', 1)
redis.call('HINCRBY', KEYS[6], ARGV[11] .. '|_voters', 1)
if challenged and ARGV[8] == 'solved' then
  redis.call('SET', KEYS[7], ARGV[6] .. '/' .. ARGV[2], 'PX', ARGV[9])
end
return answer('accepted', record)
