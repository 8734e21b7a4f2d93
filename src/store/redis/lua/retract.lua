-- Undoes one try at casting a ballot if that try holds the voter's record,
-- and fences the try off should it arrive later.
-- KEYS  1 counts, 2 voters, 3 ballots per address on the ballot's day,
--       4 the try's fence, 5 ballots per day
-- ARGV  1 visitor, 2 ballot id, 3 the try, 4 address hash, 5 fence ttl (s),
--       6 the ballot's local day
-- Returns 1 if the try was counted (and is no more), else 0.
redis.call('SET', KEYS[4], '1', 'EX', ARGV[5])
local record = redis.call('HGET', KEYS[2], ARGV[1])
local tag = ARGV[2] .. '/' .. ARGV[3] .. '|'
if not record or string.sub(record, 1, #tag) ~= tag then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
for id in string.gmatch(string.sub(record, #tag + 1), '[^,]+') do
  redis.call('HINCRBY', KEYS[1], id, -1)
  redis.call('HINCRBY', KEYS[5], ARGV[6] .. '|' .. id, -1)
end
redis.call('HINCRBY', KEYS[1], '_voters', -1)
redis.call('HINCRBY', KEYS[5], ARGV[6] .. '|_voters', -1)
if tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0') > 0 then
  redis.call('HINCRBY', KEYS[3], ARGV[4], -1)
end
return 1
