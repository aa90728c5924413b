"""A seat's state in one event, and which moves between states are allowed.

A hold past its ``held_until`` no longer blocks anyone: its seats count as available even before
the sweeper has released them (``effective_state``). Time is an argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

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
    if seat.status is SeatState.HELD and seat.held_until is not None and seat.held_until <= now:
        return SeatState.AVAILABLE  # an expired hold, not yet swept
    return seat.status


def refusals_for_hold(
    requested: Iterable[uuid.UUID], seats: Mapping[uuid.UUID, SeatSnapshot], now: datetime
) -> dict[uuid.UUID, str]:
    """Every requested seat that cannot be held now, with why; empty means all can be."""
    refusals: dict[uuid.UUID, str] = {}
    for seat_id in requested:
        seat = seats.get(seat_id)
        if seat is None:
            refusals[seat_id] = NOT_IN_LAYOUT
            continue
        state = effective_state(seat, now)
        if state is not SeatState.AVAILABLE:
            refusals[seat_id] = state.value
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
