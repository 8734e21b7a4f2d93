-- Creates or replaces a poll's definition in the poll's slot.
-- KEYS  1 meta, 2 counts, 3 voters, 4 ballots per day
-- ARGV  1 definition (JSON), 2 opens ms or '', 3 closes ms or '',
--       4 max choices, 5 option ids (comma-separated), 6 force ('1'),
--       7 challenge ('off', 'on', 'auto'), 8 draft ('1', else '0')
-- Returns {'created'} | {'replaced'} | {'unchanged'}
--         | {'draft_with_ballots'} when a published poll that holds
--           ballots would go back to draft (nothing is written then)
--         | {'conflict', id, votes, id, votes, ...} for dropped options
--           that hold ballots (nothing is written then)
-- Forced, the dropped options' ballots go with them: their counts and
-- days, and their choice in every voter's record; a voter left with no
-- choice is no longer a voter (and may vote again). This reads every
-- voter of the poll: an editor's rare action, never a visitor's.
local old = redis.call('HGET', KEYS[1], 'def')
if old == ARGV[1] then return {'unchanged'} end

local keep = {}
for id in string.gmatch(ARGV[5], '[^,]+') do keep[id] = true end
-- Fields that are not options ('_voters') always stay.
for _, field in ipairs({'_voters'}) do keep[field] = true end
local counts = redis.call('HGETALL', KEYS[2])
-- Checked here, not by the caller beforehand: ballots are cast in this
-- slot too, so none can land between the check and the write. 'draft' is
-- absent on polls written before drafts: those are published.
if old and ARGV[8] == '1' and redis.call('HGET', KEYS[1], 'draft') ~= '1' then
  for k = 2, #counts, 2 do
    if tonumber(counts[k]) > 0 then return {'draft_with_ballots'} end
  end
end
local orphans = {'conflict'}
for k = 1, #counts, 2 do
  if not keep[counts[k]] and tonumber(counts[k + 1]) > 0 then
    table.insert(orphans, counts[k])
    table.insert(orphans, counts[k + 1])
  end
end
if #orphans > 1 and ARGV[6] ~= '1' then return orphans end

local dropped = {}
for k = 1, #counts, 2 do
  if not keep[counts[k]] then
    dropped[counts[k]] = true
    redis.call('HDEL', KEYS[2], counts[k])
  end
end
if #orphans > 1 then
  local voters = redis.call('HGETALL', KEYS[3])
  local gone = 0
  for k = 1, #voters, 2 do
    local record = voters[k + 1]
    local bar = string.find(record, '|', 1, true)
    if bar then
      local kept = {}
      local changed = false
      for id in string.gmatch(string.sub(record, bar + 1), '[^,]+') do
        if dropped[id] then changed = true else table.insert(kept, id) end
      end
      if changed and #kept == 0 then
        redis.call('HDEL', KEYS[3], voters[k])
        gone = gone + 1
      elseif changed then
        redis.call('HSET', KEYS[3], voters[k], string.sub(record, 1, bar) .. table.concat(kept, ','))
      end
    end
  end
  if gone > 0 then redis.call('HINCRBY', KEYS[2], '_voters', -gone) end
  for _, field in ipairs(redis.call('HKEYS', KEYS[4])) do
    local bar = string.find(field, '|', 1, true)
    if bar and dropped[string.sub(field, bar + 1)] then redis.call('HDEL', KEYS[4], field) end
  end
end
redis.call('HSET', KEYS[1], 'def', ARGV[1], 'opens', ARGV[2], 'closes', ARGV[3],
  'max', ARGV[4], 'options', ARGV[5], 'challenge', ARGV[7], 'draft', ARGV[8])
if old then return {'replaced'} end
return {'created'}
