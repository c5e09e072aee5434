-- The heartbeat: this replica is alive for ARGV[2] ms more, and its counts are what it holds now (an update lost
-- in an outage or a race is put right here).
-- KEYS[1]: this replica's heartbeat key, KEYS[2..]: scope hashes. ARGV[1]: this replica's id, ARGV[2]: the time to
-- live in ms, ARGV[3..]: this replica's count on each scope (0: none, its field is deleted).
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  local count = tonumber(ARGV[i + 1])
  if count > 0 then
    redis.call('HSET', KEYS[i], ARGV[1], count)
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  else
    redis.call('HDEL', KEYS[i], ARGV[1])
  end
end
return #KEYS - 1
