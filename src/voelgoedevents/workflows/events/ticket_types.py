"""Ticket types of an event: general admission quantities, or seated prices by tier."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.database.errors import unique_violation_as_conflict
from voelgoedevents.adapters.database.repositories.layouts import has_price_tier
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Event, TicketType
from voelgoedevents.adapters.database.uow import UnitOfWork
from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.events.ticket_type import TicketKind, TicketTypeSpec
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import TicketTypeView


async def create_ticket_type(
    services: Services, *, organization_id: uuid.UUID, event_id: uuid.UUID, spec: TicketTypeSpec
) -> TicketTypeView:
    now = services.clock()
    async with services.uow() as uow:
        event = await get_owned(uow.session, Event, organization_id, event_id, what="event")
        if spec.kind is TicketKind.SEATED:
            await _ensure_tier_exists(uow, event, spec.price_tier)
        ticket_type = TicketType(
            organization_id=organization_id,
            event_id=event.id,
            **spec.model_dump(),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(ticket_type)
        async with unique_violation_as_conflict(f"ticket type {spec.name!r} exists already"):
            await uow.session.flush()
        await uow.commit()
        return TicketTypeView.of(ticket_type)


async def _ensure_tier_exists(uow: UnitOfWork, event: Event, tier: str | None) -> None:
    if event.layout_id is None:
        raise InvalidInput("a general-admission event has no seated ticket types", field="kind")
    if not await has_price_tier(uow.session, event.layout_id, tier):
        raise InvalidInput(f"no section of the layout has price tier {tier!r}", field="price_tier")
