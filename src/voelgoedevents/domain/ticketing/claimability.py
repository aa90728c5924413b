"""Whether seats can be claimed for a new hold, and why not: the rule, written once.

One seat, as a claim sees it (:func:`judge_seat`):

- **available**: claimable;
- **held, by a hold whose ``held_until`` has passed**: claimable. An expired hold blocks nobody,
  even before the sweeper has released it (:func:`effective_state`); the claim reports the seat
  as seen *held*, for the audit row's "before";
- **held** (live), **sold**, **blocked**: unavailable, and that state is the reason;
- **locked by another request's token** (a live lock; a lease that ran out is no lock): busy;
- **locked by this request's token**: claimable. A client retry after a lost reply finds the
  locks it took and gets the same answer, never "busy".

A claimable seat is claimed *at its version*: that version is the fence the write must match,
so a writer whose claim went stale (its lease ran out, the seat changed) changes nothing.

Many seats, all or nothing (:func:`judge_claim`): if any seat is unavailable, the claim is
refused and names every unavailable seat with its state (the buyer learns all that is wrong at
once); otherwise, if any seat is busy, the claimant waits and retries; otherwise every seat is
claimed, each with its fence.

This module is the reference. ``adapters/cache/scripts/claim.lua`` codes the same rule in Lua,
because only a script runs atomically inside Redis; the in-process cache
(``adapters/cache/memory_cache.py``) calls these functions. ``tests/integration/
test_claimability.py`` runs one table of cases against all three. Without a cache, the database
path asks the same rule of the rows it read under row locks (:func:`refusals_for_hold`), and
blocking and unblocking seats ask theirs here too. Time is an argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from voelgoedevents.domain.ticketing.states import SeatState

Key = TypeVar("Key")  # how the caller names a seat: its index (the cache) or its id

# Why a seat cannot be held, besides its state (``held``, ``sold``, ``blocked``).
BUSY = "busy"
NOT_IN_LAYOUT = "not_in_layout"


def effective_state(state: SeatState, held_until: datetime | None, now: datetime) -> SeatState:
    """A hold past its ``held_until`` no longer holds: its seats count as available."""
    if state is SeatState.HELD and held_until is not None and held_until <= now:
        return SeatState.AVAILABLE
    return state


@dataclass(frozen=True)
class SeatSlot:
    """What a claim knows of one seat."""

    state: SeatState
    version: int
    held_until: datetime | None = None  # set exactly when the seat is held
    locked_by: str | None = None  # the token of a live lock on the seat, if any


@dataclass(frozen=True)
class SeatVerdict:
    unavailable: SeatState | None  # held (live), sold or blocked: why it cannot be claimed
    busy: bool  # claimable but for another request's lock
    fence: int  # the version the write must match
    before: SeatState  # the state seen: available, or held by an expired hold

    @property
    def claimable(self) -> bool:
        return self.unavailable is None and not self.busy

    @property
    def why_not(self) -> str | None:
        if self.unavailable is not None:
            return self.unavailable.value
        return BUSY if self.busy else None


def judge_seat(seat: SeatSlot, *, token: str | None, now: datetime) -> SeatVerdict:
    """``token`` is the claimant's lock token; ``None`` for a writer that takes no lock (the
    database path, under row locks), whom any lock would keep waiting."""
    state = effective_state(seat.state, seat.held_until, now)
    unavailable = None if state is SeatState.AVAILABLE else state
    busy = unavailable is None and seat.locked_by is not None and seat.locked_by != token
    return SeatVerdict(unavailable, busy, seat.version, seat.state)


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"  # every seat claimable: take every lock
    UNAVAILABLE = "unavailable"  # some seat held, sold or blocked: take nothing
    BUSY = "busy"  # all free, some locked by another request: take nothing, retry


@dataclass(frozen=True)
class ClaimVerdict(Generic[Key]):
    outcome: ClaimOutcome
    unavailable: dict[Key, SeatState] = field(default_factory=dict)  # every unavailable seat
    fences: dict[Key, int] = field(default_factory=dict)  # when claimed: each seat's fence
    before: dict[Key, SeatState] = field(default_factory=dict)  # when claimed: the state seen


def judge_claim(
    seats: Mapping[Key, SeatSlot], *, token: str | None, now: datetime
) -> ClaimVerdict[Key]:
    """All or nothing: unavailable seats refuse the claim before busy ones make it wait."""
    verdicts = {key: judge_seat(seat, token=token, now=now) for key, seat in seats.items()}
    unavailable = {
        key: verdict.unavailable
        for key, verdict in verdicts.items()
        if verdict.unavailable is not None
    }
    if unavailable:
        return ClaimVerdict(ClaimOutcome.UNAVAILABLE, unavailable=unavailable)
    if any(verdict.busy for verdict in verdicts.values()):
        return ClaimVerdict(ClaimOutcome.BUSY)
    return ClaimVerdict(
        ClaimOutcome.CLAIMED,
        fences={key: verdict.fence for key, verdict in verdicts.items()},
        before={key: verdict.before for key, verdict in verdicts.items()},
    )


# --- the database path: rows read under row locks ----------------------------------------------


@dataclass(frozen=True)
class SeatSnapshot:
    """One ``event_seats`` row as read: enough to decide, and its version to fence the write."""

    seat_id: uuid.UUID
    seat_index: int
    status: SeatState
    version: int
    hold_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    held_until: datetime | None = None


def refusals_for_hold(
    requested: Iterable[uuid.UUID], seats: Mapping[uuid.UUID, SeatSnapshot], now: datetime
) -> dict[uuid.UUID, str]:
    """Every requested seat that cannot be held now, with why; empty means all can be. The
    seats were read under row locks: no cache lock is involved."""
    refusals: dict[uuid.UUID, str] = {}
    for seat_id in requested:
        seat = seats.get(seat_id)
        if seat is None:
            refusals[seat_id] = NOT_IN_LAYOUT
            continue
        slot = SeatSlot(seat.status, seat.version, seat.held_until)
        why_not = judge_seat(slot, token=None, now=now).why_not
        if why_not is not None:
            refusals[seat_id] = why_not
    return refusals


def refusals_for_block(
    requested: Iterable[uuid.UUID], seats: Mapping[uuid.UUID, SeatSnapshot], now: datetime
) -> dict[uuid.UUID, str]:
    """Only an available seat can be blocked: a held or sold seat has a buyer to deal with first."""
    return refusals_for_hold(requested, seats, now)


def refusals_for_unblock(
    requested: Iterable[uuid.UUID],
    seats: Mapping[uuid.UUID, SeatSnapshot],
    blocked_in_layout: set[uuid.UUID],
) -> dict[uuid.UUID, str]:
    """A seat blocked in the layout (a pillar) stays blocked in every event."""
    refusals: dict[uuid.UUID, str] = {}
    for seat_id in requested:
        seat = seats.get(seat_id)
        if seat is None:
            refusals[seat_id] = NOT_IN_LAYOUT
        elif seat_id in blocked_in_layout:
            refusals[seat_id] = "blocked_in_layout"
        elif seat.status is not SeatState.BLOCKED:
            refusals[seat_id] = f"not_blocked ({seat.status.value})"
    return refusals
