"""Move an event through its lifecycle: publish, go live, postpone, reschedule, cancel, end."""

from __future__ import annotations

import uuid
from datetime import datetime

from voelgoedevents.domain.events.event import (
    EventSchedule,
    EventStatus,
    current_status,
    rescheduled,
    transition_event,
)
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import EventView


async def change_event_status(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    target: EventStatus,
    actor: str = "admin",
) -> EventView:
    """The event's sales lock is taken exclusively for the change, so a concurrent reserve
    (which holds it shared) either commits before the change or sees the new status.
    Cancelling expires every active hold of the event in the same transaction.

    Ownership is checked before the lock: another organisation's id answers at once, like a
    missing one, instead of queueing behind (and holding up) the owner's sales."""
    now = services.clock()
    async with services.uow() as uow:
        event = await uow.ledger.lock_event_for_status_change(organization_id, event_id)
        event.status = transition_event(current_status(event.status, event.rescheduled_at), target)
        if target is EventStatus.POSTPONED:
            event.rescheduled_at = None  # no new date yet: no new holds, no checkout
        if target is EventStatus.CANCELLED:
            await uow.ledger.expire_active_holds(
                organization_id, event.id, reason="event_cancelled", actor=actor, now=now
            )
        event.updated_at = now
        await uow.commit()
    return EventView.of(event)


async def reschedule_event(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    start_at: datetime,
    end_at: datetime,
    sale_start_at: datetime | None = None,
    sale_end_at: datetime | None = None,
) -> EventView:
    """Give a postponed event its new date: it is ``published`` again, and back on sale."""
    schedule = EventSchedule(start_at, end_at, sale_start_at, sale_end_at)
    now = services.clock()
    async with services.uow() as uow:
        event = await uow.events.lock(organization_id, event_id)
        event.status = rescheduled(current_status(event.status, event.rescheduled_at))
        event.start_at, event.end_at = schedule.start_at, schedule.end_at
        event.sale_start_at, event.sale_end_at = schedule.sale_start_at, schedule.sale_end_at
        event.rescheduled_at = now
        event.updated_at = now
        await uow.commit()
        return EventView.of(event)


async def get_event(
    services: Services, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> EventView:
    async with services.uow() as uow:
        return EventView.of(await uow.events.get(organization_id, event_id))
