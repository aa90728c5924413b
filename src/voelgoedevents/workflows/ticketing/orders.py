"""Cancel or refund an order (an admin act): its seats or places become available again."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import CommitBatch, EventKey, SeatChange, StandingChange
from voelgoedevents.adapters.database.repositories import audit
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.domain.errors import OrderNotActive
from voelgoedevents.domain.ticketing.states import OrderStatus, SeatState
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import after_commit
from voelgoedevents.workflows.ticketing.views import OrderView, seat_labels


async def get_order(
    services: Services, *, organization_id: uuid.UUID, order_id: uuid.UUID
) -> OrderView:
    async with services.uow() as uow:
        order = await repo.get_order(uow.session, organization_id, order_id)
        sold = await repo.seats_of_order(uow.session, order.id)
    context = await services.seat_maps.event(organization_id, order.event_id)
    return OrderView.of(order, seat_labels(context.seat_map, [row.seat_id for row in sold]))


async def cancel_order(
    services: Services,
    *,
    organization_id: uuid.UUID,
    order_id: uuid.UUID,
    refund: bool = False,
    actor: str,
    reason: str | None = None,
) -> OrderView:
    """Idempotent: cancelling a cancelled order (or refunding a refunded one) changes nothing."""
    target = OrderStatus.REFUNDED if refund else OrderStatus.CANCELLED
    now = services.clock()
    async with services.uow() as uow:
        session = uow.session
        order = await repo.lock_order(session, organization_id, order_id)
        context = await services.seat_maps.event(organization_id, order.event_id)
        if order.status is target:
            return OrderView.of(order, [])
        if order.status is not OrderStatus.COMPLETED:
            raise OrderNotActive(f"the order is {order.status.value}")
        sold = await repo.seats_of_order(session, order.id)
        rows = await repo.update_seats(session, repo.sold_by(order.id), repo.FREE, now)
        changes = [
            audit.Change(
                SeatState.SOLD, SeatState.AVAILABLE, seat_id=row.seat_id, order_id=order.id
            )
            for row in rows
        ]
        standing: list[StandingChange] = []
        section_id = await session.scalar(
            sa.select(SeatHold.section_id).where(SeatHold.order_id == order.id)
        )
        if section_id is not None and order.quantity:
            area = await repo.move_places(session, order.event_id, section_id, sold=-order.quantity)
            standing.append(StandingChange(section_id, area.version, area.used, area.capacity))
            changes.append(
                audit.Change(
                    SeatState.SOLD,
                    SeatState.AVAILABLE,
                    section_id=section_id,
                    quantity=order.quantity,
                    order_id=order.id,
                )
            )
        order.status = target
        order.cancellation_reason = reason or target.value
        order.updated_at = now
        await audit.record(
            session,
            organization_id=organization_id,
            event_id=order.event_id,
            changes=changes,
            actor=actor,
            reason=target.value,
            now=now,
        )
        await uow.commit()
    await after_commit(
        services,
        EventKey(organization_id, order.event_id),
        CommitBatch(
            seats=[SeatChange(row.seat_index, row.version, row.status) for row in rows],
            standing=standing,
        ),
    )
    return OrderView.of(order, seat_labels(context.seat_map, [row.seat_id for row in sold]))
