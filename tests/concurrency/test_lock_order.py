"""The sweeper and a reserve lock seats in one global order, so they queue, never deadlock.

A reserve locks the lower seat; the sweeper starts expiring two holds (the higher seat's hold
lapsed first); then the reserve locks the higher seat. Freeing hold after hold, the sweeper
would lock the higher seat first and wait for the lower: a deadlock. Locking all its seats in
seat order, it waits for the lower seat before touching the higher one.
"""

from __future__ import annotations

import asyncio

from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.bootstrap import Services
from voelgoedevents.workflows.ticketing.expire_holds import expire_due_holds

from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import hold, hold_row, seat_ids


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
