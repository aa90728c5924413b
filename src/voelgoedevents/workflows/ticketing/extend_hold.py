"""Extend: the holder asks for more time, up to the policy's cap on a hold's whole life."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.database.repositories.holds import hold_snapshot
from voelgoedevents.domain.ticketing.hold import extended_until
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


async def extend_hold(
    services: Services,
    *,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    holder_ref: str | None = None,
) -> HoldView:
    now = services.clock()
    async with services.uow() as uow:
        event_id = await uow.inventory.event_of_hold(organization_id, hold_id)
        sale = await uow.ledger.lock_event_for_sale(organization_id, event_id)
        hold = await uow.ledger.lock_hold(organization_id, hold_id, holder_ref)
        policy = SeatingPolicy.resolve(
            services.platform_policy, sale.organization_policy, sale.event_policy
        )
        held_until = extended_until(hold_snapshot(hold), now, policy)
        rows = await uow.ledger.extend(hold, held_until, now=now)
        await uow.commit()
    context = await services.seat_maps.event(organization_id, hold.event_id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in rows]), services.clock()
    )
