"""Extend: the holder asks for more time, up to the policy's cap on a hold's whole life."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.cache.port import CommitBatch, EventKey, HoldEntry, SeatChange
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.domain.ticketing.hold import ensure_covers_its_seats, extended_until
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import after_commit
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
        session = uow.session
        event_id = await repo.event_of_hold(session, organization_id, hold_id)
        sale = await repo.lock_event_for_sale(session, organization_id, event_id)
        hold = await repo.lock_hold(session, organization_id, hold_id, holder_ref)
        policy = SeatingPolicy.resolve(
            services.platform_policy, sale.organization_policy, sale.event_policy
        )
        hold.held_until = extended_until(repo.hold_snapshot(hold), now, policy)
        hold.extension_count += 1
        hold.version += 1
        hold.updated_at = now
        rows = await repo.update_seats(
            session, repo.held_by(hold.id), {"held_until": hold.held_until}, now
        )
        ensure_covers_its_seats(hold, rows)
        await uow.commit()
    await after_commit(
        services,
        EventKey(organization_id, hold.event_id),
        CommitBatch(
            seats=[
                SeatChange(row.seat_index, row.version, row.status, row.held_until) for row in rows
            ],
            holds_set=[HoldEntry(hold.id, hold.held_until)],
        ),
    )
    context = await services.seat_maps.event(organization_id, hold.event_id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in rows]), services.clock()
    )
