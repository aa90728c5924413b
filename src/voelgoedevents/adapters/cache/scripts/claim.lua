-- Claim the seats of one reserve request, atomically: every lock is taken, or none.
--
-- KEYS[1..7]: meta, occupancy, state, until, version, holds, standing (of one event)
-- KEYS[8..]:  one lock key per seat, in the same order as the indexes below
-- ARGV: token, lease_ms, now_ms, seat index...
--
-- The rule is the domain's, written once in domain/ticketing/claimability.py (judge_seat,
-- judge_claim); this script codes it again only because a claim must run atomically inside
-- Redis, and tests/integration/test_claimability.py holds both to one table of cases. In short:
-- a seat is claimable when it is available, or held with held-until in the past (an expired
-- hold counts as available before the sweeper has run); a lock this token already owns counts
-- as ours (a client retry after a lost reply gets the same answer, never "busy"); any
-- unavailable seat refuses the claim before any busy one makes it wait. A lapsed lease needs no
-- check here: Redis has already expired its key.
-- Returns {'claimed', version, state, ...} (per seat in order: the fencing value and the state
-- seen, 0 available or 1 held by an expired hold), {'unavailable', index, state, ...},
-- {'busy'} or {'cold'} (no complete copy of the event is loaded).
local META, STATE, UNTIL, VERSION = KEYS[1], KEYS[3], KEYS[4], KEYS[5]
local FIRST_LOCK = 8

if redis.call('HGET', META, 'ready') ~= '1' then
  return {'cold'}
end

local token, lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local count = #KEYS - FIRST_LOCK + 1
local unavailable = {}
local busy = false

for i = 1, count do
  local index = ARGV[3 + i]
  local slot = '#' .. index
  local state = redis.call('BITFIELD_RO', STATE, 'GET', 'u2', slot)[1]
  -- effective_state: held-until is rounded up to the ms and now down, so never early
  if state == 1 and redis.call('BITFIELD_RO', UNTIL, 'GET', 'u48', slot)[1] <= now then
    state = 0
  end
  if state ~= 0 then
    unavailable[#unavailable + 1] = tonumber(index)
    unavailable[#unavailable + 1] = state
  else
    local owner = redis.call('GET', KEYS[FIRST_LOCK + i - 1])
    if owner and owner ~= token then
      busy = true
    end
  end
end

if #unavailable > 0 then
  return {'unavailable', unpack(unavailable)}
end
if busy then
  return {'busy'}
end

local result = {'claimed'}
for i = 1, count do
  local slot = '#' .. ARGV[3 + i]
  redis.call('SET', KEYS[FIRST_LOCK + i - 1], token, 'PX', lease)
  result[#result + 1] = redis.call('BITFIELD_RO', VERSION, 'GET', 'u32', slot)[1]
  result[#result + 1] = redis.call('BITFIELD_RO', STATE, 'GET', 'u2', slot)[1]
end
return result
