-- Let go of a request's locks: delete each lock key only if this token still owns it.
-- KEYS: lock keys; ARGV[1]: token.
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    released = released + 1
  end
end
return released
