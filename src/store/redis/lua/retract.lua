-- Undoes a ballot if it was counted, recognising it by its id.
-- KEYS  1 counts, 2 voters, 3 ballots per address on the ballot's day
-- ARGV  1 visitor, 2 ballot id, 3 address hash
-- Returns 1 if the ballot was counted (and is no more), else 0.
local record = redis.call('HGET', KEYS[2], ARGV[1])
local tag = ARGV[2] .. '|'
if not record or string.sub(record, 1, #tag) ~= tag then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
for id in string.gmatch(string.sub(record, #tag + 1), '[^,]+') do
  redis.call('HINCRBY', KEYS[1], id, -1)
end
redis.call('HINCRBY', KEYS[1], '_voters', -1)
if tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0') > 0 then
  redis.call('HINCRBY', KEYS[3], ARGV[3], -1)
end
return 1
