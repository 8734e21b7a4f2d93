-- A key the replicas share, kept for good: keeps the first one written.
-- KEYS  1 the key   ARGV  1 candidate (hex)
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
