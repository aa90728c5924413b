-- Apply committed database changes to one event's structures, let go of the request's locks,
-- and publish what changed.
--
-- KEYS[1..7]: meta, occupancy, state, until, version, holds, standing
-- KEYS[8..]:  lock keys to let go of (compare-and-delete against the token)
-- ARGV: token ('' for none), channel ('' for none), event id, force ('1'/'0'),
--       n, n x (index, version, state, held_until_ms),
--       m, m x (section id, version, used, capacity),
--       a, a x (hold id, held_until_ms)   -- registry entries to set
--       r, r x (hold id)                  -- registry entries to remove
--
-- Each change lands only if its version is newer than the one stored (with force: not older),
-- so changes may arrive in any order, twice, or during a rebuild, and the cache still ends up
-- equal to the database. Registry entries are set only if no SEAT change of the batch was older
-- than the cache's (an equal version is the same change, already there): a hold whose seats were
-- overtaken by a newer change must not reappear. A standing area's version says nothing about
-- one hold (every hold on the area moves it), so an older area change does not hold an entry
-- back: two reserves on one area whose writes cross must both be registered.
local META, OCCUPANCY, STATE, UNTIL, VERSION, HOLDS, STANDING =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local token, channel, event, force = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local position = 5
local function take()
  local value = ARGV[position]
  position = position + 1
  return value
end
local function newer(version, current)
  return version > current or (force and version == current)
end

local seats, standing, older = {}, {}, 0

for _ = 1, tonumber(take()) do
  local index, version, state, held_until = take(), tonumber(take()), tonumber(take()), take()
  local slot = '#' .. index
  if newer(version, redis.call('BITFIELD_RO', VERSION, 'GET', 'u32', slot)[1]) then
    redis.call('BITFIELD', VERSION, 'SET', 'u32', slot, version)
    redis.call('BITFIELD', STATE, 'SET', 'u2', slot, state)
    redis.call('BITFIELD', UNTIL, 'SET', 'u48', slot, held_until)
    redis.call('SETBIT', OCCUPANCY, index, state == 0 and 0 or 1)
    seats[#seats + 1] = {tonumber(index), state, version, tonumber(held_until)}
  elseif version < redis.call('BITFIELD_RO', VERSION, 'GET', 'u32', slot)[1] then
    older = older + 1
  end
end

for _ = 1, tonumber(take()) do
  local section, version, used, capacity = take(), tonumber(take()), take(), take()
  local current = tonumber(redis.call('HGET', STANDING, 'version:' .. section) or '0')
  if newer(version, current) then
    redis.call('HSET', STANDING, 'version:' .. section, version, 'used:' .. section, used,
      'capacity:' .. section, capacity)
    standing[#standing + 1] = {section, tonumber(used), tonumber(capacity), version}
  end
end

for _ = 1, tonumber(take()) do
  local hold, held_until = take(), take()
  if older == 0 then
    redis.call('ZADD', HOLDS, held_until, hold)
  end
end

for _ = 1, tonumber(take()) do
  redis.call('ZREM', HOLDS, take())
end

if token ~= '' then
  for i = 8, #KEYS do
    if redis.call('GET', KEYS[i]) == token then
      redis.call('DEL', KEYS[i])
    end
  end
end

if channel ~= '' and (#seats > 0 or #standing > 0) then
  redis.call('PUBLISH', channel, cjson.encode({event = event, seats = seats, standing = standing}))
end
return {#seats, #standing, older}
