"""Helpers for hold engine tests."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import EventSeat, EventStandingArea, SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.seating.section import SectionType
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
from voelgoedevents.workflows.ticketing.views import HoldView

from support.factories import Scenario


async def seat_ids(services: Services, scenario: Scenario) -> list[uuid.UUID]:
    """The event's seats in index order (the small document: A1..A4, B1..B4, C1..C4)."""
    seat_map = await services.seat_maps.layout(scenario.layout.id)
    return [seat.seat_id for seat in seat_map.by_index]


async def standing_section(services: Services, scenario: Scenario) -> uuid.UUID:
    seat_map = await services.seat_maps.layout(scenario.layout.id)
    return next(s.id for s in seat_map.sections.values() if s.type is SectionType.STANDING)


async def hold(
    services: Services,
    scenario: Scenario,
    seats: list[uuid.UUID] | None = None,
    holder: str = "alice",
    **extra: Any,
) -> HoldView:
    request = ReserveRequest(seat_ids=seats, holder_ref=holder, **extra)
    return await reserve_seat(
        services, organization_id=scenario.org_id, event_id=scenario.event.id, request=request
    )


async def seat_rows(services: Services, event_id: uuid.UUID) -> dict[uuid.UUID, EventSeat]:
    async with services.uow() as uow:
        rows = await uow.session.scalars(sa.select(EventSeat).where(EventSeat.event_id == event_id))
        return {row.seat_id: row for row in rows}


async def hold_row(services: Services, hold_id: uuid.UUID) -> SeatHold:
    async with services.uow() as uow:
        found = await uow.session.get(SeatHold, hold_id)
        assert found is not None
        return found


async def area_row(services: Services, event_id: uuid.UUID) -> EventStandingArea:
    async with services.uow() as uow:
        return (
            await uow.session.execute(
                sa.select(EventStandingArea).where(EventStandingArea.event_id == event_id)
            )
        ).scalar_one()


async def assert_cache_matches(services: Services, scenario: Scenario) -> None:
    """The cache, when it holds the event, equals the database exactly."""
    report = await verify_event_cache(
        services, EventKey(scenario.org_id, scenario.event.id), repair=False
    )
    assert report.drift == 0, report
