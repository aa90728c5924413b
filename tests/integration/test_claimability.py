"""One table of claim cases, run against every implementation of the claimability rule.

The rule is written once, in ``domain/ticketing/claimability.py``. The in-process cache calls it;
the Redis script ``claim.lua`` must code it again in Lua (only a script is atomic in Redis). Each
row below is a claim by the token ``ours`` at ``NOW`` on one event's seats, and what it must
answer: claimed (each seat's fence, the version its write must match, and the state seen),
unavailable (every unavailable seat and its state) or busy. The same row runs against:

- ``domain``: ``judge_claim`` itself;
- ``memory``: ``MemorySeatCache.claim``;
- ``redis``: ``RedisSeatCache.claim`` (the Lua script) on the real Redis, in this run's key
  namespace.

The caches are set up through their own API: locks are taken by claims with the row's tokens
(a "lapsed" lock with a 1 ms lease, then a pause), then the seats' states are loaded over them.
For the domain, a lapsed lock is no lock (``SeatSlot.locked_by`` is a live lock's token): the
rows with one check that each cache lets a lease run out.

A writer holding an outdated fence (a stale version) is not a claim case: the claim hands out
the version it sees, and the database's version-fenced write refuses a stale one
(``tests/chaos/test_lock_lease.py``). The rows here check that the fence handed out is the
seat's version.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

import pytest
from redis.asyncio import Redis

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.memory_cache import MemorySeatCache
from voelgoedevents.adapters.cache.port import (
    Claim,
    ClaimStatus,
    EventKey,
    EventSnapshot,
    SeatCache,
    SeatChange,
    SeatRef,
)
from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.domain.ticketing.claimability import SeatSlot, judge_claim
from voelgoedevents.domain.ticketing.states import SeatState

from support.servers import REDIS_URL

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
OURS, THEIRS = "ours", "theirs"
LEASE_MS = 60_000

AVAILABLE, HELD, SOLD, BLOCKED = (
    SeatState.AVAILABLE,
    SeatState.HELD,
    SeatState.SOLD,
    SeatState.BLOCKED,
)
LATER, EARLIER = timedelta(minutes=5), -timedelta(minutes=5)
MS = timedelta(milliseconds=1)


class Lock(Enum):
    NONE = "none"
    OURS = "ours"  # taken by an earlier attempt of this request (a client retry)
    THEIRS = "theirs"  # another request's, lease running
    THEIRS_LAPSED = "theirs, lapsed"  # another request's, lease ran out


@dataclass(frozen=True)
class Seat:
    state: SeatState = AVAILABLE
    version: int = 0
    held_for: timedelta | None = None  # held_until - NOW; negative: the hold has expired
    lock: Lock = Lock.NONE


@dataclass(frozen=True)
class Answer:
    outcome: str  # claimed, unavailable or busy
    unavailable: dict[int, SeatState] = field(default_factory=dict)
    fences: dict[int, int] = field(default_factory=dict)
    before: dict[int, SeatState] = field(default_factory=dict)


def claimed(*seen: tuple[int, SeatState]) -> Answer:
    """Per seat in order: (fence, state seen)."""
    return Answer(
        "claimed",
        fences={i: fence for i, (fence, _) in enumerate(seen)},
        before={i: state for i, (_, state) in enumerate(seen)},
    )


def unavailable(**by_seat: SeatState) -> Answer:
    """By seat position: ``s0=SOLD``..."""
    return Answer("unavailable", {int(key[1:]): state for key, state in by_seat.items()})


BUSY = Answer("busy")

# (case, seats, answer)
CASES: list[tuple[str, list[Seat], Answer]] = [
    ("free", [Seat(AVAILABLE, 4)], claimed((4, AVAILABLE))),
    ("free, never changed", [Seat(AVAILABLE, 0)], claimed((0, AVAILABLE))),
    ("held", [Seat(HELD, 2, LATER)], unavailable(s0=HELD)),
    ("held, 1 ms left", [Seat(HELD, 2, MS)], unavailable(s0=HELD)),
    ("held but expired", [Seat(HELD, 7, EARLIER)], claimed((7, HELD))),
    ("held, expiring exactly now", [Seat(HELD, 7, timedelta(0))], claimed((7, HELD))),
    ("sold", [Seat(SOLD, 3)], unavailable(s0=SOLD)),
    ("blocked", [Seat(BLOCKED, 1)], unavailable(s0=BLOCKED)),
    ("free, locked by another request", [Seat(AVAILABLE, 1, lock=Lock.THEIRS)], BUSY),
    ("free, locked by this request", [Seat(AVAILABLE, 1, lock=Lock.OURS)], claimed((1, AVAILABLE))),
    (
        "free, another's lock lapsed",
        [Seat(AVAILABLE, 1, lock=Lock.THEIRS_LAPSED)],
        claimed((1, AVAILABLE)),
    ),
    ("held but expired, locked by another", [Seat(HELD, 5, EARLIER, Lock.THEIRS)], BUSY),
    (
        "sold and locked by another: unavailable",
        [Seat(SOLD, 6, lock=Lock.THEIRS)],
        unavailable(s0=SOLD),
    ),
    (
        "each seat fenced at its own version",
        [Seat(AVAILABLE, 3), Seat(HELD, 9, EARLIER), Seat(AVAILABLE, 0, lock=Lock.OURS)],
        claimed((3, AVAILABLE), (9, HELD), (0, AVAILABLE)),
    ),
    (
        "one unavailable seat refuses all, every one named",
        [Seat(AVAILABLE, 1), Seat(SOLD, 2), Seat(HELD, 3, LATER), Seat(BLOCKED, 4)],
        unavailable(s1=SOLD, s2=HELD, s3=BLOCKED),
    ),
    (
        "unavailable before busy",
        [Seat(AVAILABLE, 1, lock=Lock.THEIRS), Seat(HELD, 2, LATER)],
        unavailable(s1=HELD),
    ),
    (
        "one busy seat makes all wait",
        [Seat(AVAILABLE, 1), Seat(AVAILABLE, 1, lock=Lock.THEIRS)],
        BUSY,
    ),
    (
        "ours and another's lock: busy",
        [Seat(AVAILABLE, 1, lock=Lock.OURS), Seat(AVAILABLE, 1, lock=Lock.THEIRS)],
        BUSY,
    ),
]


def held_until(seat: Seat) -> datetime | None:
    return None if seat.held_for is None else NOW + seat.held_for


# --- the implementations ---------------------------------------------------------------------


async def by_domain(seats: list[Seat]) -> Answer:
    live = {Lock.OURS: OURS, Lock.THEIRS: THEIRS}
    verdict = judge_claim(
        {
            i: SeatSlot(seat.state, seat.version, held_until(seat), live.get(seat.lock))
            for i, seat in enumerate(seats)
        },
        token=OURS,
        now=NOW,
    )
    return Answer(verdict.outcome.value, verdict.unavailable, verdict.fences, verdict.before)


async def by_cache(cache: SeatCache, seats: list[Seat]) -> Answer:
    event = EventKey(uuid.uuid4(), uuid.uuid4())
    refs = [SeatRef(uuid.uuid4(), i) for i in range(len(seats))]
    await cache.load(event, EventSnapshot(len(seats), [], [], []))  # all free, ready
    for ref, seat in zip(refs, seats, strict=True):
        if seat.lock is not Lock.NONE:
            token = OURS if seat.lock is Lock.OURS else THEIRS
            lease = 1 if seat.lock is Lock.THEIRS_LAPSED else LEASE_MS
            taken = await cache.claim(event, [ref], token=token, lease_ms=lease, now=NOW)
            assert taken.status is ClaimStatus.CLAIMED, taken
    if any(seat.lock is Lock.THEIRS_LAPSED for seat in seats):
        await asyncio.sleep(0.05)
    changes = [
        SeatChange(i, seat.version, seat.state, held_until(seat)) for i, seat in enumerate(seats)
    ]
    await cache.load(event, EventSnapshot(len(seats), changes, [], []), force=True)
    claim = await cache.claim(event, refs, token=OURS, lease_ms=LEASE_MS, now=NOW)
    return _answer(claim)


def _answer(claim: Claim) -> Answer:
    return Answer(claim.status.value, claim.unavailable, claim.versions, claim.observed)


@pytest.fixture
async def redis_cache(redis_namespace: str) -> AsyncIterator[RedisSeatCache]:
    cache = RedisSeatCache(Redis.from_url(REDIS_URL), redis_namespace)
    try:
        yield cache
    finally:
        await cache.close()


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> SeatCache:
    if request.param == "memory":
        return MemorySeatCache(LocalFeed())
    built: SeatCache = request.getfixturevalue("redis_cache")
    return built


@pytest.fixture(params=["domain", "memory", "redis"])
def implementation(request: pytest.FixtureRequest) -> Callable[[list[Seat]], Awaitable[Answer]]:
    if request.param == "domain":
        return by_domain
    if request.param == "memory":
        memory = MemorySeatCache(LocalFeed())
        return lambda seats: by_cache(memory, seats)
    redis: RedisSeatCache = request.getfixturevalue("redis_cache")
    return lambda seats: by_cache(redis, seats)


@pytest.mark.parametrize(("seats", "answer"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_every_implementation_answers_the_table(
    implementation: Callable[[list[Seat]], Awaitable[Answer]], seats: list[Seat], answer: Answer
) -> None:
    assert await implementation(seats) == answer


# --- what only a store can show: locking, and a copy not yet loaded --------------------------


async def test_a_claim_locks_all_of_its_seats_or_none(cache: SeatCache) -> None:
    event = EventKey(uuid.uuid4(), uuid.uuid4())
    free, sold = SeatRef(uuid.uuid4(), 0), SeatRef(uuid.uuid4(), 1)
    await cache.load(event, EventSnapshot(2, [SeatChange(1, 1, SOLD)], [], []))
    refused = await cache.claim(event, [free, sold], token=OURS, lease_ms=LEASE_MS, now=NOW)
    assert refused.status is ClaimStatus.UNAVAILABLE
    granted = await cache.claim(event, [free], token=THEIRS, lease_ms=LEASE_MS, now=NOW)
    assert granted.status is ClaimStatus.CLAIMED, "the refused claim left a lock behind"
    again = await cache.claim(event, [free], token=OURS, lease_ms=LEASE_MS, now=NOW)
    assert again.status is ClaimStatus.BUSY
    await cache.unlock(event, [free], THEIRS)
    assert (await cache.claim(event, [free], token=OURS, lease_ms=LEASE_MS, now=NOW)).status is (
        ClaimStatus.CLAIMED
    )


async def test_an_event_not_loaded_is_cold(cache: SeatCache) -> None:
    event = EventKey(uuid.uuid4(), uuid.uuid4())
    claim = await cache.claim(
        event, [SeatRef(uuid.uuid4(), 0)], token=OURS, lease_ms=LEASE_MS, now=NOW
    )
    assert claim.status is ClaimStatus.COLD
