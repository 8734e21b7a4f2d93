-- Reads a poll, its counts and (optionally) one visitor's choices at once.
-- KEYS  1 meta, 2 counts, 3 voters
-- ARGV  1 visitor or ''
-- Returns nil when the poll does not exist, else
--         {definition, the visitor's choices or '', {counts}}
local def = redis.call('HGET', KEYS[1], 'def')
if not def then return nil end
local voted = ''
if ARGV[1] ~= '' then voted = redis.call('HGET', KEYS[3], ARGV[1]) or '' end
return {def, voted, redis.call('HGETALL', KEYS[2])}
