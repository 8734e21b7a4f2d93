-- Creates or replaces a poll's definition in the poll's slot.
-- KEYS  1 meta, 2 counts
-- ARGV  1 definition (JSON), 2 opens ms or '', 3 closes ms or '',
--       4 max choices, 5 option ids (comma-separated), 6 force ('1'),
--       7 challenge ('off', 'on', 'auto')
-- Returns {'created'} | {'replaced'} | {'unchanged'}
--         | {'conflict', id, votes, id, votes, ...} for dropped options
--           that hold ballots (nothing is written then)
local old = redis.call('HGET', KEYS[1], 'def')
if old == ARGV[1] then return {'unchanged'} end

local keep = {}
for id in string.gmatch(ARGV[5], '[^,]+') do keep[id] = true end
-- Fields that are not options ('_voters') always stay.
for _, field in ipairs({'_voters'}) do keep[field] = true end
local counts = redis.call('HGETALL', KEYS[2])
local orphans = {'conflict'}
for k = 1, #counts, 2 do
  if not keep[counts[k]] and tonumber(counts[k + 1]) > 0 then
    table.insert(orphans, counts[k])
    table.insert(orphans, counts[k + 1])
  end
end
if #orphans > 1 and ARGV[6] ~= '1' then return orphans end

for k = 1, #counts, 2 do
  if not keep[counts[k]] then redis.call('HDEL', KEYS[2], counts[k]) end
end
redis.call('HSET', KEYS[1], 'def', ARGV[1], 'opens', ARGV[2], 'closes', ARGV[3],
  'max', ARGV[4], 'options', ARGV[5], 'challenge', ARGV[7])
if old then return {'replaced'} end
return {'created'}
