-- Stages part of an import: its days wait in the stage until import.lua
-- switches them all in at once. Sending a part again changes nothing; an
-- import already settled (its outcome is kept) takes no more.
-- KEYS  1 the stage, 2 the import's outcome
-- ARGV  1 stage ttl s, then two per month: the month (`yyyy-mm`), its
--       days (`dd=visits dd=visits …`)
-- Returns 1 when staged, 0 when the import was settled
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
