"""Reserve: all or nothing, with reasons; idempotent; expired holds block nobody."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import (
    EventNotOnSale,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    SeatUnavailable,
)
from voelgoedevents.domain.events.event import EventStatus
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.workflows.events.event_status import change_event_status
from voelgoedevents.workflows.listing import change_history
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.invariants import check_event
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

from support.clock import ManualClock
from support.factories import make_event, on_sale_scenario, table_counts
from support.holds import assert_cache_matches, hold, hold_row, seat_ids, seat_rows


async def test_a_hold_names_every_seat_and_its_time(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, [seats[5], seats[4]])
    assert held.status == "active"
    assert [(s.section, s.block, s.row, s.number) for s in held.seats] == [
        ("Stalls", "Row B", "B", "1"),
        ("Stalls", "Row B", "B", "2"),
    ]
    assert held.held_until == hold_services.clock() + timedelta(minutes=10)
    assert held.seconds_left == 600
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].status.value for s in seats[4:6]} == {"held"}
    assert {rows[s].hold_id for s in seats[4:6]} == {held.id}
    assert {rows[s].version for s in seats[4:6]} == {2}
    await assert_cache_matches(hold_services, scenario)


async def test_all_or_nothing_with_a_reason_per_seat(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    await hold(hold_services, scenario, [seats[1]], holder="bob")
    before = await table_counts(hold_services)
    foreign = uuid.uuid4()
    with pytest.raises(SeatUnavailable) as caught:
        await hold(hold_services, scenario, [seats[0], seats[1], seats[3]])  # A1 ok, A2, A4
    assert caught.value.refusals == {str(seats[1]): "held", str(seats[3]): "blocked"}
    with pytest.raises(SeatUnavailable) as caught:
        await hold(hold_services, scenario, [seats[0], foreign])
    assert caught.value.refusals == {str(foreign): "not_in_layout"}
    assert await table_counts(hold_services) == before
    rows = await seat_rows(hold_services, scenario.event.id)
    assert rows[seats[0]].status.value == "available"
    await assert_cache_matches(hold_services, scenario)


async def test_seats_and_events_of_another_organisation(hold_services: Services) -> None:
    ours = await on_sale_scenario(hold_services)
    theirs = await on_sale_scenario(hold_services)
    their_seats = await seat_ids(hold_services, theirs)
    with pytest.raises(SeatUnavailable) as caught:
        await hold(hold_services, ours, [their_seats[0]])
    assert caught.value.refusals == {str(their_seats[0]): "not_in_layout"}
    with pytest.raises(NotFound, match="event not found"):
        await reserve_seat(
            hold_services,
            organization_id=ours.org_id,
            event_id=theirs.event.id,
            request=ReserveRequest(seat_ids=[their_seats[0]], holder_ref="x"),
        )
    assert (await seat_rows(hold_services, theirs.event.id))[their_seats[0]].status.value == (
        "available"
    )


async def test_request_limits(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    limited = await make_event(
        hold_services,
        scenario.org_id,
        scenario.venue.id,
        scenario.layout.id,
        settings={"max_seats_per_booking": 2},
    )
    with pytest.raises(InvalidInput, match="at most 2 seats per booking"):
        await reserve_seat(
            hold_services,
            organization_id=scenario.org_id,
            event_id=limited.id,
            request=ReserveRequest(seat_ids=seats[:3], holder_ref="x"),
        )
    with pytest.raises(ValidationError, match="twice"):
        ReserveRequest(seat_ids=[seats[0], seats[0]], holder_ref="x")
    with pytest.raises(ValidationError, match="seat_ids, or for a section_id"):
        ReserveRequest(holder_ref="x")


@pytest.mark.parametrize(
    "target", [EventStatus.CANCELLED, EventStatus.POSTPONED, EventStatus.ENDED]
)
async def test_only_an_event_on_sale_takes_holds(
    hold_services: Services, target: EventStatus
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    await change_event_status(
        hold_services, organization_id=scenario.org_id, event_id=scenario.event.id, target=target
    )
    with pytest.raises(EventNotOnSale):
        await hold(hold_services, scenario, [seats[0]])


async def test_sales_open_at_the_sale_start(hold_services: Services, clock: ManualClock) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    later = await make_event(
        hold_services,
        scenario.org_id,
        scenario.venue.id,
        scenario.layout.id,
        sale_start_at=clock() + timedelta(hours=1),
    )
    request = ReserveRequest(seat_ids=[seats[0]], holder_ref="early")
    with pytest.raises(EventNotOnSale, match="sales open at"):
        await reserve_seat(
            hold_services, organization_id=scenario.org_id, event_id=later.id, request=request
        )
    clock.advance(3600)
    held = await reserve_seat(
        hold_services, organization_id=scenario.org_id, event_id=later.id, request=request
    )
    assert held.status == "active"


async def test_an_expired_hold_blocks_nobody_even_before_the_sweeper(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    first = await hold(hold_services, scenario, [seats[0], seats[1]], holder="slow")
    clock.advance(599)
    with pytest.raises(SeatUnavailable):
        await hold(hold_services, scenario, [seats[0]], holder="fast")
    clock.advance(1)  # exactly held_until: the hold no longer counts
    second = await hold(hold_services, scenario, [seats[0]], holder="fast")
    rows = await seat_rows(hold_services, scenario.event.id)
    assert rows[seats[0]].hold_id == second.id
    assert rows[seats[1]].hold_id == first.id  # not swept yet, but nobody asked for it
    page = await change_history(hold_services, organization_id=scenario.org_id, seat_id=seats[0])
    assert page.next_cursor is None
    changes = page.items
    assert [(c.from_state, c.to_state, c.hold_id) for c in changes] == [
        ("available", "held", first.id),
        ("held", "held", second.id),
    ]
    await assert_cache_matches(hold_services, scenario)


async def test_a_retry_with_the_same_key_returns_the_same_hold(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    first = await hold(hold_services, scenario, [seats[0], seats[1]], idempotency_key="k-1")
    again = await hold(hold_services, scenario, [seats[1], seats[0]], idempotency_key="k-1")
    assert again.id == first.id
    assert [s.seat_id for s in again.seats] == [seats[0], seats[1]]
    with pytest.raises(IdempotencyKeyReused):
        await hold(hold_services, scenario, [seats[2]], idempotency_key="k-1")
    row = await hold_row(hold_services, first.id)
    assert row.idempotency_key == "k-1"
    assert (
        len(
            {
                r.hold_id
                for r in (await seat_rows(hold_services, scenario.event.id)).values()
                if r.hold_id
            }
        )
        == 1
    )


async def test_a_hold_blocks_to_its_last_microsecond(
    hold_services: Services, clock: ManualClock
) -> None:
    """The cache keeps times in milliseconds: a deadline is rounded up and the time down, so in
    the last millisecond before a hold lapses nobody can take its seat (at worst the seat frees
    up to a millisecond late, never early)."""
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    await verify_event_cache(
        hold_services, EventKey(scenario.org_id, scenario.event.id), repair=True
    )
    clock.advance(0.0009)  # a hold time that is not a whole millisecond
    first = await hold(hold_services, scenario, seats[:1], holder="first")
    clock.now = first.held_until - timedelta(microseconds=800)  # same millisecond, still live
    with pytest.raises(SeatUnavailable):
        await hold(hold_services, scenario, seats[:1], holder="second")
    clock.now = first.held_until + timedelta(milliseconds=1)  # lapsed: free at the latest now
    assert (await hold(hold_services, scenario, seats[:1], holder="second")).status == "active"
    report = await check_event(
        hold_services, organization_id=scenario.org_id, event_id=scenario.event.id
    )
    assert report.ok, report.problems
