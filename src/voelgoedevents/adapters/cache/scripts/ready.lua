-- Finish a load: mark the event ready only if this load's token is still in its meta hash.
-- A Redis that restarted (empty) in the middle of the load has lost the token: the load then
-- reports failure instead of declaring a half-loaded event complete.
-- KEYS[1]: meta; ARGV: token, seat count.
if redis.call('HGET', KEYS[1], 'loading') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'ready', '1', 'seats', ARGV[2])
redis.call('HDEL', KEYS[1], 'loading')
return 1
