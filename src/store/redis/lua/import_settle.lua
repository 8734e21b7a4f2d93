-- What became of an import whose call failed: its outcome if it was
-- switched in; otherwise it is abandoned here, for good (its stage is
-- deleted and the outcome says so, so a switch still on its way changes
-- nothing).
-- KEYS  1 the stage, 2 the import's outcome
-- ARGV  1 outcome ttl s
-- Returns the outcome: `applied <days> <changed> <added>` or `abandoned`
local outcome = redis.call('GET', KEYS[2])
if outcome then
  return outcome
end
redis.call('SET', KEYS[2], 'abandoned', 'EX', ARGV[1])
redis.call('DEL', KEYS[1])
return 'abandoned'
