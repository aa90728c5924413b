"""When a committed change cannot reach Redis, the event is marked stale until it is rebuilt.
Even when the stale mark itself cannot be written, the process that failed keeps it, writes it
later, and the event is rebuilt: a seat refunded in the database never stays sold in Redis."""

from __future__ import annotations

import pytest

from voelgoedevents.adapters.cache.port import CacheUnavailable, EventKey
from voelgoedevents.adapters.database.repositories import cache_status
from voelgoedevents.bootstrap import Services
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import sweep_once
from voelgoedevents.workflows.ticketing.orders import cancel_order
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

from support.factories import on_sale_scenario
from support.holds import assert_cache_matches, hold, seat_ids


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_a_stale_mark_the_database_refused_is_kept_written_later_and_rebuilt(
    hold_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    await verify_event_cache(
        hold_services, EventKey(scenario.org_id, scenario.event.id), repair=True
    )
    order = await sell_hold(
        hold_services,
        organization_id=scenario.org_id,
        hold_id=(await hold(hold_services, scenario, seats[:1])).id,
    )

    async def cache_down(*args: object, **kwargs: object) -> None:
        raise CacheUnavailable("redis: timeout")

    async def database_refuses(*args: object, **kwargs: object) -> None:
        raise OSError("database busy")

    with monkeypatch.context() as broken:
        broken.setattr(hold_services.cache, "commit", cache_down)
        broken.setattr(cache_status, "mark_stale", database_refuses)
        await cancel_order(
            hold_services,
            organization_id=scenario.org_id,
            order_id=order.id,
            refund=True,
            actor="admin",
        )
    assert not hold_services.gate.trusted_for(scenario.event.id)
    hold_services.gate.succeeded()  # Redis answers again (the breaker's cooldown is over)

    await sweep_once(hold_services)  # writes the kept mark, then rebuilds the event

    assert hold_services.gate.trusted_for(scenario.event.id)
    assert hold_services.gate.unrecorded == {}
    await assert_cache_matches(hold_services, scenario)
    assert (await hold(hold_services, scenario, seats[:1], holder="bob")).status == "active"
