-- A token bucket shared by all replicas, on Redis's clock: ARGV[1] tokens, refilled at ARGV[1] per ARGV[2] ms.
-- KEYS[1]: the bucket (a hash: tokens, at). Returns 0 when a token was taken, else the ms until there is one.
-- A bucket left alone for a whole period is full again, so it expires then.
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * capacity / period)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) * period / capacity))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], period)
return wait
