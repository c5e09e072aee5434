-- One slot on every scope for this replica, unless a scope with a limit is full. A scope is a hash of counts, one
-- field per replica; only replicas whose heartbeat key is alive count, and the fields of dead ones are deleted.
-- KEYS: the scopes' hashes. ARGV[1]: this replica's id, ARGV[2]: the heartbeat keys' prefix, ARGV[3]: the hashes'
-- time to live in ms, ARGV[4..]: each scope's limit (0: none).
-- Returns 0 when taken, else the 1-based index of the first full scope.
local replica = ARGV[1]
local alive = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 3])
  if limit > 0 then
    local fields = redis.call('HGETALL', key)
    local total = 0
    for j = 1, #fields, 2 do
      local id = fields[j]
      if alive[id] == nil then
        alive[id] = id == replica or redis.call('EXISTS', ARGV[2] .. id) == 1
      end
      if alive[id] then
        total = total + tonumber(fields[j + 1])
      else
        redis.call('HDEL', key, id)
      end
    end
    if total >= limit then
      return i
    end
  end
end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, replica, 1)
  redis.call('PEXPIRE', key, ARGV[3])
end
return 0
