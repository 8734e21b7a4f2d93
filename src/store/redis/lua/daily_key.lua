-- The day's address-hashing key: keeps the first one written.
-- KEYS  1 the day's key   ARGV  1 candidate (hex), 2 ttl s
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
return redis.call('GET', KEYS[1])
