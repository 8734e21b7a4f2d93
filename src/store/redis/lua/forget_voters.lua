-- Deletes a closed poll's voter records, in the poll's slot; its counts
-- (the '_voters' total too) stay.
-- KEYS  1 meta, 2 voters
-- ARGV  1 the latest closing time (ms) whose voters may go
-- Returns how many records were deleted (0 when the poll does not exist,
-- has no end, or ends after ARGV[1])
local closes = redis.call('HGET', KEYS[1], 'closes')
if not closes or closes == '' or tonumber(closes) > tonumber(ARGV[1]) then return 0 end
local n = redis.call('HLEN', KEYS[2])
if n > 0 then redis.call('UNLINK', KEYS[2]) end
return n
