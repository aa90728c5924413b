"""Lock order: the sweeper, reserves, releases and an event's cancel queue, never deadlock.

A reserve locks the lower seat; the sweeper starts expiring two holds (the higher seat's hold
lapsed first); then the reserve locks the higher seat. Freeing hold after hold, the sweeper
would lock the higher seat first and wait for the lower: a deadlock. Locking all its seats in
seat order, it waits for the lower seat before touching the higher one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from voelgoedevents.adapters.database.ledger import audit, locks
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.events.event import EventStatus
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.workflows.events.event_status import change_event_status
from voelgoedevents.workflows.ticketing.expire_holds import expire_due_holds
from voelgoedevents.workflows.ticketing.release_seat import release_seat
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
from voelgoedevents.workflows.ticketing.views import HoldView

from support.clock import ManualClock
from support.factories import Scenario, make_event, make_organization, on_sale_scenario
from support.holds import hold, hold_row, seat_ids, standing_section


async def test_the_sweeper_and_a_reserve_queue_instead_of_deadlocking(
    pg_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(pg_services)
    low, _, high = sorted((await seat_ids(pg_services, scenario))[:3])
    first = await hold(pg_services, scenario, [high], holder="first")  # lapses first
    clock.advance(1)
    second = await hold(pg_services, scenario, [low], holder="second")
    clock.advance(3600)

    async with pg_services.uow() as uow:  # the reserve, as on its database path
        await repo.read_seats(uow.session, scenario.event.id, [low], lock=True)
        sweeper = asyncio.create_task(expire_due_holds(pg_services))
        await asyncio.sleep(0.5)  # the sweeper is now waiting for the lower seat
        assert not sweeper.done()
        await asyncio.wait_for(
            repo.read_seats(uow.session, scenario.event.id, [high], lock=True), timeout=5
        )
    assert await asyncio.wait_for(sweeper, timeout=5) == 2
    for held in (first, second):
        assert (await hold_row(pg_services, held.id)).status.value == "expired"


async def _release_then_cancel(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    free: Callable[[Scenario, HoldView], Awaitable[object]],
) -> None:
    """``free`` holds the hold and its seats and is about to write its audit rows (whose foreign
    key share-locks the event's key) when a cancel locks the event row and waits for the hold."""
    scenario = await on_sale_scenario(services)
    held = await hold(services, scenario, (await seat_ids(services, scenario))[:2])
    record, paused, go = audit.record, asyncio.Event(), asyncio.Event()

    async def paused_record(session: Any, **change: Any) -> None:
        if change["reason"] in ("released", "expired") and not go.is_set():
            paused.set()
            await go.wait()
        await record(session, **change)

    monkeypatch.setattr(audit, "record", paused_record)
    freeing = asyncio.create_task(free(scenario, held))
    await asyncio.wait_for(paused.wait(), timeout=5)
    cancel = asyncio.create_task(
        change_event_status(
            services,
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            target=EventStatus.CANCELLED,
        )
    )
    await asyncio.sleep(0.5)  # the cancel has the event row and waits for the hold
    go.set()
    await asyncio.wait_for(asyncio.gather(freeing, cancel), timeout=10)  # no Busy (deadlock)
    assert (await hold_row(services, held.id)).status.value in ("cancelled", "expired")


async def test_a_cancel_and_a_holders_release_queue_instead_of_deadlocking(
    pg_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _release_then_cancel(
        pg_services,
        monkeypatch,
        lambda scenario, held: release_seat(
            pg_services, organization_id=scenario.org_id, hold_id=held.id
        ),
    )


async def test_a_cancel_and_the_sweeper_queue_instead_of_deadlocking(
    pg_services: Services, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    async def sweep(scenario: Scenario, held: HoldView) -> int:
        clock.advance(3600)
        return await expire_due_holds(pg_services)

    await _release_then_cancel(pg_services, monkeypatch, sweep)


async def test_another_organisations_cancel_neither_waits_for_nor_holds_up_the_sales(
    pg_services: Services,
) -> None:
    """An id of another organisation answers like a missing one, at once: it takes no lock on
    the owner's event, so the owner's buyers never queue behind it."""
    owner = await on_sale_scenario(pg_services)
    stranger = await make_organization(pg_services)
    seats = await seat_ids(pg_services, owner)
    async with pg_services.uow() as uow:  # one of the owner's sales, in flight
        await locks.lock_event_sales(uow.session, owner.event.id)
        with pytest.raises(NotFound):
            await asyncio.wait_for(
                change_event_status(
                    pg_services,
                    organization_id=stranger.id,
                    event_id=owner.event.id,
                    target=EventStatus.CANCELLED,
                ),
                timeout=2,
            )
        await uow.commit()
    assert (await hold(pg_services, owner, seats[:1])).status == "active"


async def test_two_sweepers_free_standing_areas_in_one_order(
    pg_services: Services, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    """Due holds come oldest first; areas are locked in (event, area) order regardless, so two
    sweepers whose batches span the same two areas queue instead of deadlocking."""
    scenario = await on_sale_scenario(pg_services)
    second = await make_event(pg_services, scenario.org_id, scenario.venue.id, scenario.layout.id)
    section = await standing_section(pg_services, scenario)
    for event_id in (scenario.event.id, second.id, second.id, scenario.event.id):
        clock.advance(1)  # due in this order: area X, Y, Y, X
        await reserve_seat(
            pg_services,
            organization_id=scenario.org_id,
            event_id=event_id,
            request=ReserveRequest(section_id=section, quantity=1, holder_ref="x"),
        )
    clock.advance(3600)
    record = audit.record

    async def slow_record(session: Any, **change: Any) -> None:  # widen the window
        await asyncio.sleep(0.3)
        await record(session, **change)

    monkeypatch.setattr(audit, "record", slow_record)
    first = asyncio.create_task(expire_due_holds(pg_services, limit=2))
    await asyncio.sleep(0.05)
    second_sweep = asyncio.create_task(expire_due_holds(pg_services, limit=2))
    assert await asyncio.wait_for(asyncio.gather(first, second_sweep), timeout=10) == [2, 2]
