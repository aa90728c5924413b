"""The event state machine and the on-sale rule, with time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from voelgoedevents.domain.errors import InvalidInput, InvalidTransition
from voelgoedevents.domain.events.event import (
    EventSaleState,
    EventSchedule,
    EventStatus,
    current_status,
    rescheduled,
    transition_event,
)

T0 = datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
SCHEDULE = EventSchedule(
    start_at=T0, end_at=T0 + timedelta(hours=3), sale_start_at=T0 - timedelta(days=30)
)


def state(status: EventStatus, rescheduled: datetime | None = None) -> EventSaleState:
    return EventSaleState(status=status, schedule=SCHEDULE, rescheduled_at=rescheduled)


@pytest.mark.parametrize(
    ("status", "on_sale"),
    [
        (EventStatus.DRAFT, False),
        (EventStatus.PUBLISHED, True),
        (EventStatus.LIVE, True),
        (EventStatus.ENDED, False),
        (EventStatus.CANCELLED, False),
        (EventStatus.ARCHIVED, False),
        (EventStatus.POSTPONED, False),
    ],
)
def test_which_statuses_sell(status: EventStatus, on_sale: bool) -> None:
    assert state(status).is_on_sale(T0 - timedelta(days=1)) is on_sale


def test_postponed_sells_again_once_rescheduled() -> None:
    now = T0 - timedelta(days=1)
    assert state(EventStatus.POSTPONED).why_not_on_sale(now) == (
        "the event is postponed and has no new date yet"
    )
    assert state(EventStatus.POSTPONED, rescheduled=now).is_on_sale(now)


def test_the_sale_window_bounds_sales() -> None:
    published = state(EventStatus.PUBLISHED)
    assert not published.is_on_sale(T0 - timedelta(days=31))
    assert published.is_on_sale(T0 - timedelta(days=30))  # opens inclusive
    assert published.is_on_sale(T0 + timedelta(hours=2, minutes=59))
    assert published.why_not_on_sale(T0 + timedelta(hours=3)) == "sales have closed"


def test_schedule_rules() -> None:
    with pytest.raises(InvalidInput, match="start_at must be before end_at"):
        EventSchedule(T0, T0)
    with pytest.raises(InvalidInput, match="sale_start_at must be before sale_end_at"):
        EventSchedule(T0, T0 + timedelta(hours=1), T0, T0 - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="sales cannot end after"):
        EventSchedule(T0, T0 + timedelta(hours=1), None, T0 + timedelta(hours=2))
    with pytest.raises(InvalidInput, match="time zone"):
        EventSchedule(datetime(2030, 1, 1), datetime(2030, 1, 2))


def test_lifecycle_transitions() -> None:
    assert transition_event(EventStatus.DRAFT, EventStatus.PUBLISHED) is EventStatus.PUBLISHED
    assert transition_event(EventStatus.LIVE, EventStatus.POSTPONED) is EventStatus.POSTPONED
    assert transition_event(EventStatus.POSTPONED, EventStatus.LIVE) is EventStatus.LIVE
    assert transition_event(EventStatus.CANCELLED, EventStatus.ARCHIVED) is EventStatus.ARCHIVED
    for source, target in [
        (EventStatus.DRAFT, EventStatus.LIVE),
        (EventStatus.CANCELLED, EventStatus.PUBLISHED),
        (EventStatus.ENDED, EventStatus.LIVE),
        (EventStatus.ARCHIVED, EventStatus.DRAFT),
    ]:
        with pytest.raises(InvalidTransition):
            transition_event(source, target)


def test_a_rescheduled_event_is_published_again() -> None:
    """A postponed event that got its new date sells: it reported `postponed` all the same.
    Rescheduling makes it `published`; one stored `postponed` with a date before that reads
    (and moves) as published; only a postponed event without a date can be rescheduled."""
    assert rescheduled(EventStatus.POSTPONED) is EventStatus.PUBLISHED
    for status in set(EventStatus) - {EventStatus.POSTPONED}:
        with pytest.raises(InvalidTransition):
            rescheduled(status)
    now = SCHEDULE.start_at
    assert current_status(EventStatus.POSTPONED, now) is EventStatus.PUBLISHED
    assert current_status(EventStatus.POSTPONED, None) is EventStatus.POSTPONED
    for status in set(EventStatus) - {EventStatus.POSTPONED}:
        assert current_status(status, now) is status
    # Both kinds sell (inside the window), as the on-sale rule always said.
    assert state(EventStatus.PUBLISHED, rescheduled=now).why_not_on_sale(now) == state(
        EventStatus.POSTPONED, rescheduled=now
    ).why_not_on_sale(now)
