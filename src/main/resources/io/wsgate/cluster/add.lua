-- Adds to this replica's count on every scope; a count that reaches 0 is deleted.
-- KEYS: the scopes' hashes. ARGV[1]: this replica's id, ARGV[2]: the amount, ARGV[3]: the hashes' time to live in ms.
for _, key in ipairs(KEYS) do
  if redis.call('HINCRBY', key, ARGV[1], ARGV[2]) <= 0 then
    redis.call('HDEL', key, ARGV[1])
  else
    redis.call('PEXPIRE', key, ARGV[3])
  end
end
return 0
