"""Create an event on a venue (and, for seated events, on one of its active layouts)."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.database.repositories import layouts
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Event, Venue
from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.domain.seating.layout import ensure_accepts_events
from voelgoedevents.domain.ticketing.policy import parse_overrides
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import EventView


async def create_event(
    services: Services, *, organization_id: uuid.UUID, spec: EventSpec
) -> EventView:
    """A draft event with its own seat inventory.

    Guarantees: the venue and layout belong to the caller's organisation and to each other; the
    layout is active (its structure frozen, so seat indexes never move under the event); every
    seat of the layout gets an inventory row in the same transaction as the event.
    """
    schedule = spec.schedule
    parse_overrides(spec.settings, where="settings")
    now = services.clock()
    async with services.uow() as uow:
        venue = await get_owned(uow.session, Venue, organization_id, spec.venue_id, what="venue")
        capacity = spec.capacity or 0
        if spec.layout_id is not None:
            layout = await layouts.get_layout(uow.session, organization_id, spec.layout_id)
            if layout.venue_id != venue.id:
                raise InvalidInput("the layout belongs to another venue", field="layout_id")
            ensure_accepts_events(layout.status)
            if spec.capacity is not None and spec.capacity != layout.total_capacity:
                raise InvalidInput(
                    "a seated event's capacity is its layout's total capacity", field="capacity"
                )
            capacity = layout.total_capacity
        event = Event(
            organization_id=organization_id,
            venue_id=venue.id,
            layout_id=spec.layout_id,
            name=spec.name,
            description=spec.description,
            status=EventStatus.DRAFT,
            start_at=schedule.start_at,
            end_at=schedule.end_at,
            sale_start_at=schedule.sale_start_at,
            sale_end_at=schedule.sale_end_at,
            capacity=capacity,
            settings=dict(spec.settings),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(event)
        await uow.session.flush()
        if event.layout_id is not None:
            await uow.ledger.create_inventory(event, now)
        await uow.commit()
        return EventView.of(event)
