"""The history replay flags every impossible step (the checker must be able to fail)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from voelgoedevents.adapters.database.tables import SeatStateChange
from voelgoedevents.domain.ticketing.states import SeatState
from voelgoedevents.workflows.ticketing.invariants import replay

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SEAT = uuid.uuid4()
A, B = uuid.uuid4(), uuid.uuid4()
HELD_UNTIL = {A: T0 + timedelta(minutes=10), B: T0 + timedelta(minutes=30)}


def change(
    n: int,
    before: str,
    after: str,
    *,
    hold: uuid.UUID | None = None,
    order: uuid.UUID | None = None,
    minute: int = 0,
) -> SeatStateChange:
    return SeatStateChange(
        id=n,
        seat_id=SEAT,
        from_state=SeatState(before),
        to_state=SeatState(after),
        hold_id=hold,
        order_id=order,
        occurred_at=T0 + timedelta(minutes=minute),
    )


def test_a_legal_life() -> None:
    order = uuid.uuid4()
    history = [
        change(1, "available", "held", hold=A),
        change(2, "held", "held", hold=B, minute=11),  # A had lapsed
        change(3, "held", "sold", hold=B, order=order, minute=12),
        change(4, "sold", "available", order=order, minute=40),
        change(5, "available", "blocked", minute=41),
    ]
    assert replay(history, HELD_UNTIL) == []


def test_two_live_holders_are_caught() -> None:
    history = [change(1, "available", "held", hold=A), change(2, "held", "held", hold=B, minute=5)]
    [problem] = replay(history, HELD_UNTIL)
    assert "before it lapsed" in problem


def test_a_change_from_the_wrong_state_is_caught() -> None:
    history = [
        change(1, "available", "held", hold=A),
        change(2, "available", "held", hold=B, minute=1),
    ]
    [problem] = replay(history, HELD_UNTIL)
    assert "recorded from available, but the seat was held" in problem


def test_freeing_someone_elses_seat_is_caught() -> None:
    history = [
        change(1, "available", "held", hold=A),
        change(2, "held", "available", hold=B, minute=1),
    ]
    [problem] = replay(history, HELD_UNTIL)
    assert "freed by hold" in problem
