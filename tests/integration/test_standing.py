"""Standing areas: places, not seats; held + sold never exceeds capacity."""

from __future__ import annotations

from typing import Any

import pytest

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import CapacityExceeded, InvalidInput
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.inventory_view import event_inventory
from voelgoedevents.workflows.ticketing.orders import cancel_order
from voelgoedevents.workflows.ticketing.release_seat import release_seat
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import area_row, assert_cache_matches, hold, hold_row, standing_section


async def _places(services: Services, scenario, quantity: int, holder: str = "p", **extra):  # type: ignore[no-untyped-def]
    section = await standing_section(services, scenario)
    return await reserve_seat(
        services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        request=ReserveRequest(section_id=section, quantity=quantity, holder_ref=holder, **extra),
    )


async def test_places_are_held_sold_and_released(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    first = await _places(hold_services, scenario, 10, "a")
    second = await _places(hold_services, scenario, 10, "b")
    assert (first.quantity, first.seats) == (10, [])
    await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=first.id)
    partly = await release_seat(
        hold_services, organization_id=scenario.org_id, hold_id=second.id, quantity=4
    )
    assert (partly.status, partly.quantity) == ("active", 6)
    area = await area_row(hold_services, scenario.event.id)
    assert (area.held_count, area.sold_count) == (6, 10)
    inventory = await event_inventory(
        hold_services, organization_id=scenario.org_id, event_id=scenario.event.id
    )
    standing = next(s for s in inventory.sections if s.type == "standing")
    assert (standing.capacity, standing.available) == (50, 34)
    await assert_cache_matches(hold_services, scenario)


async def test_never_oversold(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    for holder in "abcde":
        await _places(hold_services, scenario, 10, holder)
    with pytest.raises(CapacityExceeded, match="only 0 places left"):
        await _places(hold_services, scenario, 1, "late")
    area = await area_row(hold_services, scenario.event.id)
    assert area.held_count + area.sold_count == 50


async def test_expired_places_count_as_free_before_the_sweeper(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    old = [await _places(hold_services, scenario, 9, f"old{n}") for n in range(5)]
    with pytest.raises(CapacityExceeded, match="only 5 places left"):
        await _places(hold_services, scenario, 6, "new")
    clock.advance(600)
    fresh = [await _places(hold_services, scenario, 10, f"new{n}") for n in range(5)]
    assert sum(held.quantity for held in fresh) == 50
    assert {(await hold_row(hold_services, held.id)).status.value for held in old} == {"expired"}
    await assert_cache_matches(hold_services, scenario)


async def test_refunding_places_gives_them_back(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    holds = [await _places(hold_services, scenario, 10, f"h{n}") for n in range(5)]
    order = await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=holds[0].id)
    with pytest.raises(CapacityExceeded):
        await _places(hold_services, scenario, 1, "late")
    await cancel_order(
        hold_services,
        organization_id=scenario.org_id,
        order_id=order.id,
        refund=True,
        actor="admin",
    )
    assert (await _places(hold_services, scenario, 10, "next")).quantity == 10
    await assert_cache_matches(hold_services, scenario)


async def test_a_seated_section_takes_no_quantity(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seat_map = await hold_services.seat_maps.layout(scenario.layout.id)
    stalls = next(s.id for s in seat_map.sections.values() if s.name == "Stalls")
    with pytest.raises(InvalidInput, match="not a standing section"):
        await reserve_seat(
            hold_services,
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            request=ReserveRequest(section_id=stalls, quantity=2, holder_ref="x"),
        )


async def test_two_reserves_whose_cache_writes_cross_are_both_registered(
    hold_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hold on an area moves the area's version, so the first reserve's cache write,
    arriving after the second's, finds the area newer: its area count is rightly dropped, but
    its hold must still enter the registry."""
    scenario = await on_sale_scenario(hold_services)
    section = await standing_section(hold_services, scenario)
    await verify_event_cache(
        hold_services, EventKey(scenario.org_id, scenario.event.id), repair=True
    )
    delayed: list[tuple[Any, ...]] = []

    async def held_back(*write: Any) -> None:
        delayed.append(write)

    on_time = hold_services.cache_sync.apply
    with monkeypatch.context() as late:
        late.setattr(hold_services.cache_sync, "apply", held_back)
        await hold(hold_services, scenario, section_id=section, quantity=1)
    await hold(hold_services, scenario, section_id=section, quantity=1, holder="bob")
    await on_time(*delayed[0])  # the first reserve's write arrives last
    await assert_cache_matches(hold_services, scenario)
