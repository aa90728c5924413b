"""What the workflows need from the seat cache, whatever backs it.

Every write to the cache carries the database version of what it writes and only lands if it is
newer than what the cache holds. Writes can therefore arrive in any order, be retried after a
lost reply, or race a rebuild, and the cache still converges on the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from voelgoedevents.domain.ticketing.states import SeatState

# Seat states as stored in the cache: two bits per seat, in seat-index order.
STATE_CODES: dict[SeatState, int] = {
    SeatState.AVAILABLE: 0,
    SeatState.HELD: 1,
    SeatState.SOLD: 2,
    SeatState.BLOCKED: 3,
}
CODE_STATES = {code: state for state, code in STATE_CODES.items()}


class CacheUnavailable(Exception):
    """The cache could not be reached or did not answer in time. Nothing is assumed written."""


@dataclass(frozen=True)
class EventKey:
    organization_id: uuid.UUID
    event_id: uuid.UUID


@dataclass(frozen=True)
class SeatRef:
    seat_id: uuid.UUID
    index: int


@dataclass(frozen=True)
class SeatChange:
    """A committed seat state, with the row version the database gave it."""

    index: int
    version: int
    state: SeatState
    held_until: datetime | None = None


@dataclass(frozen=True)
class StandingChange:
    section_id: uuid.UUID
    version: int
    used: int  # held + sold + blocked
    capacity: int


@dataclass(frozen=True)
class HoldEntry:
    hold_id: uuid.UUID
    held_until: datetime


@dataclass(frozen=True)
class CommitBatch:
    """What one committed transaction changed, and the locks it may now let go."""

    seats: Sequence[SeatChange] = ()
    standing: Sequence[StandingChange] = ()
    holds_set: Sequence[HoldEntry] = ()  # added only if all of the batch's changes landed
    holds_removed: Sequence[uuid.UUID] = ()
    unlock_token: str | None = None
    unlock_seats: Sequence[SeatRef] = ()


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # every lock taken; ``versions`` are the fencing values
    UNAVAILABLE = "unavailable"  # some seats are held, sold or blocked; nothing locked
    BUSY = "busy"  # another request holds some of the locks; nothing locked
    COLD = "cold"  # the cache has no complete copy of this event yet


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    versions: dict[int, int] = field(default_factory=dict)  # seat index -> version (the fence)
    observed: dict[int, SeatState] = field(default_factory=dict)  # available, or expired-held
    unavailable: dict[int, SeatState] = field(default_factory=dict)


@dataclass(frozen=True)
class EventSnapshot:
    """The database's view of one event, to (re)build the cache from."""

    seat_count: int
    seats: Sequence[SeatChange]
    standing: Sequence[StandingChange]
    holds: Sequence[HoldEntry]


@dataclass(frozen=True)
class CachedInventory:
    """What the cache holds for one event: enough to draw the map and to compare."""

    states: bytes  # two bits per seat, seat index order (see ``STATE_CODES``)
    versions: dict[int, int]  # seat index -> version, for indexes the cache has seen
    standing: dict[uuid.UUID, tuple[int, int, int]]  # section -> (used, capacity, version)
    holds: dict[uuid.UUID, datetime]


class SeatCache(Protocol):
    mode: str  # "redis", "memory" or "none"

    async def claim(
        self,
        event: EventKey,
        seats: Sequence[SeatRef],
        *,
        token: str,
        lease_ms: int,
        now: datetime,
    ) -> Claim: ...

    async def commit(
        self, event: EventKey, batch: CommitBatch, *, force: bool = False, publish: bool = True
    ) -> None: ...

    async def unlock(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None: ...

    async def remove_holds(self, event: EventKey, hold_ids: Sequence[uuid.UUID]) -> None: ...

    async def registry(self, event: EventKey) -> set[uuid.UUID]:
        """Hold ids in the registry, whether or not the event is fully loaded."""
        ...

    async def load(self, event: EventKey, snapshot: EventSnapshot, *, force: bool = False) -> None:
        """Merge a database snapshot (newer versions win; ``force``: the snapshot wins) and mark
        the event ready."""
        ...

    async def read(self, event: EventKey, seat_count: int) -> CachedInventory | None:
        """``None`` when the cache has no complete copy of the event."""
        ...

    async def invalidate(self, event: EventKey) -> None: ...

    async def resync(self, event: EventKey) -> None:
        """Tell every live seat stream of the event, in every process, to start again from a
        fresh map (sent on the event's change feed, after the changes already sent)."""
        ...

    async def try_lock_rebuild(self, event: EventKey, token: str, lease_ms: int) -> bool: ...

    async def unlock_rebuild(self, event: EventKey, token: str) -> None: ...

    async def health(self) -> dict[str, object]: ...

    async def close(self) -> None: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(moment: datetime | None) -> int:
    """Times in the cache are epoch milliseconds (rounded down, exactly); 0 means none."""
    return 0 if moment is None else (moment - _EPOCH) // _MS


def deadline_ms(moment: datetime | None) -> int:
    """A deadline (a hold's ``held_until``) in epoch milliseconds, rounded *up*: compared with
    a time rounded down, it passes only once the deadline really has, never within the last
    millisecond before it."""
    return 0 if moment is None else -((_EPOCH - moment) // _MS)


def change_message(
    event: EventKey, seats: Sequence[SeatChange], standing: Sequence[StandingChange] = ()
) -> dict[str, object]:
    """The live-feed message of applied changes, the same shape the Redis script sends."""
    return {
        "event": str(event.event_id),
        "seats": [
            [c.index, STATE_CODES[c.state], c.version, deadline_ms(c.held_until)] for c in seats
        ],
        "standing": [[str(a.section_id), a.used, a.capacity, a.version] for a in standing],
    }


def pack_states(states: dict[int, SeatState], seat_count: int) -> bytes:
    """Two bits per seat, most significant bits first (Redis BITFIELD order)."""
    packed = bytearray((seat_count * 2 + 7) // 8)
    for index, state in states.items():
        code = STATE_CODES[state]
        if code:
            byte, slot = divmod(index * 2, 8)
            packed[byte] |= code << (6 - slot)
    return bytes(packed)


def unpack_state(packed: bytes, index: int) -> SeatState:
    byte, slot = divmod(index * 2, 8)
    if byte >= len(packed):
        return SeatState.AVAILABLE
    return CODE_STATES[(packed[byte] >> (6 - slot)) & 0b11]
