"""Release (whole, partial, idempotent), the sweeper, and extensions up to the cap."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import HoldExpired, HoldNotActive, InvalidInput, NotFound
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.workflows.listing import change_history
from voelgoedevents.workflows.ticketing.expire_holds import expire_due_holds, run_sweeper
from voelgoedevents.workflows.ticketing.extend_hold import extend_hold
from voelgoedevents.workflows.ticketing.invariants import check_event
from voelgoedevents.workflows.ticketing.release_seat import release_seat
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

from support.clock import ManualClock
from support.factories import make_event, on_sale_scenario
from support.holds import assert_cache_matches, hold, hold_row, seat_ids, seat_rows


async def test_release_whole_then_again_changes_nothing(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:2])
    released = await release_seat(
        hold_services, organization_id=scenario.org_id, hold_id=held.id, holder_ref="alice"
    )
    assert (released.status, released.cancellation_reason, released.seats) == (
        "cancelled",
        "released",
        [],
    )
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].status.value for s in seats[:2]} == {"available"}
    versions = {s: rows[s].version for s in seats[:2]}
    again = await release_seat(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    assert again.status == "cancelled"
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {s: rows[s].version for s in seats[:2]} == versions
    await assert_cache_matches(hold_services, scenario)


async def test_release_part_of_a_hold(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:3])
    partly = await release_seat(
        hold_services, organization_id=scenario.org_id, hold_id=held.id, seat_ids=[seats[1]]
    )
    assert partly.status == "active"
    assert [s.seat_id for s in partly.seats] == [seats[0], seats[2]]
    with pytest.raises(InvalidInput, match="not held by this hold"):
        await release_seat(
            hold_services,
            organization_id=scenario.org_id,
            hold_id=held.id,
            seat_ids=[seats[1], seats[2]],
        )
    rows = await seat_rows(hold_services, scenario.event.id)
    assert rows[seats[2]].hold_id == held.id  # the refused partial release changed nothing
    rest = await release_seat(
        hold_services,
        organization_id=scenario.org_id,
        hold_id=held.id,
        seat_ids=[seats[0], seats[2]],
    )
    assert rest.status == "cancelled"
    await assert_cache_matches(hold_services, scenario)


async def test_another_holders_hold_is_not_found(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:1], holder="alice")
    with pytest.raises(NotFound):
        await release_seat(
            hold_services, organization_id=scenario.org_id, hold_id=held.id, holder_ref="mallory"
        )
    other = await on_sale_scenario(hold_services)
    with pytest.raises(NotFound):
        await release_seat(hold_services, organization_id=other.org_id, hold_id=held.id)
    assert (await hold_row(hold_services, held.id)).status.value == "active"


async def test_a_sold_seat_is_never_freed_by_a_hold_release(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:2])
    await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    with pytest.raises(HoldNotActive, match="cancel or refund its order"):
        await release_seat(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].status.value for s in seats[:2]} == {"sold"}


async def test_the_sweeper_expires_what_is_due_and_only_that(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    early = await hold(hold_services, scenario, seats[:2], holder="early")
    clock.advance(120)
    late = await hold(hold_services, scenario, seats[4:6], holder="late")
    clock.advance(480)  # early's ten minutes are up, late has two left
    assert await expire_due_holds(hold_services) == 1
    assert await expire_due_holds(hold_services) == 0
    early_row, late_row = (
        await hold_row(hold_services, early.id),
        await hold_row(hold_services, late.id),
    )
    assert (early_row.status.value, early_row.cancellation_reason) == ("expired", "expired")
    assert late_row.status.value == "active"
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].status.value for s in seats[:2]} == {"available"}
    assert {rows[s].status.value for s in seats[4:6]} == {"held"}
    page = await change_history(hold_services, organization_id=scenario.org_id, hold_id=early.id)
    assert page.next_cursor is None
    changes = page.items
    assert [(c.to_state, c.actor, c.reason) for c in changes][-2:] == [
        ("available", "system:sweeper", "expired")
    ] * 2
    await assert_cache_matches(hold_services, scenario)


async def test_one_sweep_over_two_events_of_one_layout_frees_each_event_its_own_seats(
    hold_services: Services, clock: ManualClock
) -> None:
    """A layout is reused by many events, so one seat id is a seat of each of them. One sweep
    expiring holds on the same seat in two events must free each event's seat for its own hold,
    record it once in that event's history, and tell each event's cache. (Found by the storm
    benchmark: the sweep keyed its bookkeeping by seat id alone, recorded one event's seat twice
    and the other's not at all, and sent both to one event's cache.)"""
    scenario = await on_sale_scenario(hold_services)
    second = await make_event(hold_services, scenario.org_id, scenario.venue.id, scenario.layout.id)
    seats = await seat_ids(hold_services, scenario)
    first_hold = await hold(hold_services, scenario, seats[:2])
    second_hold = await reserve_seat(
        hold_services,
        organization_id=scenario.org_id,
        event_id=second.id,
        request=ReserveRequest(seat_ids=seats[:2], holder_ref="bob"),
    )
    clock.advance(600)
    assert await expire_due_holds(hold_services) == 2
    for event_id, held in ((scenario.event.id, first_hold), (second.id, second_hold)):
        rows = await seat_rows(hold_services, event_id)
        assert {rows[s].status.value for s in seats[:2]} == {"available"}
        page = await change_history(hold_services, organization_id=scenario.org_id, hold_id=held.id)
        changes = page.items
        assert sorted((c.event_id, c.seat_id, c.to_state) for c in changes) == sorted(
            [(event_id, s, "held") for s in seats[:2]]
            + [(event_id, s, "available") for s in seats[:2]]
        )
        report = await check_event(
            hold_services, organization_id=scenario.org_id, event_id=event_id
        )
        assert report.ok, report.problems
    await assert_cache_matches(hold_services, scenario)
    await assert_cache_matches(hold_services, dataclasses.replace(scenario, event=second))


async def test_no_hold_survives_five_seconds_past_its_time(
    hold_services: Services, clock: ManualClock
) -> None:
    """The sweeper runs as it does in the server (a background task, interval 1 s)."""
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    holds = [
        await hold(hold_services, scenario, [seat], holder=f"h{n}")
        for n, seat in enumerate(seats[:3] + seats[4:8])
    ]
    stop = asyncio.Event()
    sweeper = asyncio.create_task(run_sweeper(hold_services, stop))
    try:
        clock.advance(600)  # every hold is due now
        started = time.monotonic()
        while True:
            statuses = {(await hold_row(hold_services, h.id)).status.value for h in holds}
            if statuses == {"expired"} or time.monotonic() - started > 5:
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - started
    finally:
        stop.set()
        await sweeper
    assert statuses == {"expired"}
    assert took < 5, f"expiry took {took:.1f} s"


async def test_extend_up_to_the_cap_and_never_after_expiry(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:2])
    created = clock()
    clock.advance(300)
    extended = await extend_hold(
        hold_services, organization_id=scenario.org_id, hold_id=held.id, holder_ref="alice"
    )
    assert extended.held_until == clock() + (held.held_until - created)
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].held_until for s in seats[:2]} == {extended.held_until}
    for _ in range(6):  # at 800, 1300 ... 3300 s; the platform cap is one hour from creation
        clock.advance(500)
        last = await extend_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    assert (last.held_until - created).total_seconds() == 3600  # capped, not 3900
    clock.advance(100)
    with pytest.raises(HoldNotActive, match="cannot be extended further"):
        await extend_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    clock.advance(300)
    with pytest.raises(HoldExpired):
        await extend_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    await assert_cache_matches(hold_services, scenario)
