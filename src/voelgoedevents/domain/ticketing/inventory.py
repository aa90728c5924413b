"""A seat's state in one event, and which moves between states are allowed.

Whether a seat can be held is decided by the claimability rule (``claimability.py``), the same
one the seat caches follow. Time is an argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from voelgoedevents.domain.ticketing import claimability
from voelgoedevents.domain.ticketing.states import SeatState

# Why a seat cannot be held, as the caller sees it.
NOT_IN_LAYOUT = "not_in_layout"
HELD = "held"
SOLD = "sold"
BLOCKED = "blocked"
DUPLICATE = "duplicate"


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


def effective_state(seat: SeatSnapshot, now: datetime) -> SeatState:
    return claimability.effective_state(seat.status, seat.held_until, now)


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
        slot = claimability.SeatSlot(seat.status, seat.version, seat.held_until)
        why_not = claimability.judge_seat(slot, token=None, now=now).why_not
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
