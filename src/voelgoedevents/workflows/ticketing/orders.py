"""Cancel or refund an order (an admin act): its seats or places become available again."""

from __future__ import annotations

import uuid

from voelgoedevents.domain.errors import OrderNotActive
from voelgoedevents.domain.ticketing.states import OrderStatus
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.views import OrderView, seat_labels


async def get_order(
    services: Services, *, organization_id: uuid.UUID, order_id: uuid.UUID
) -> OrderView:
    async with services.uow() as uow:
        order = await uow.inventory.order(organization_id, order_id)
        sold = await uow.inventory.seats_of_order(order.id)
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
        order = await uow.ledger.lock_order(organization_id, order_id)
        context = await services.seat_maps.event(organization_id, order.event_id)
        if order.status is target:
            return OrderView.of(order, [])
        if order.status is not OrderStatus.COMPLETED:
            raise OrderNotActive(f"the order is {order.status.value}")
        sold = await uow.inventory.seats_of_order(order.id)
        await uow.ledger.cancel_order(
            order, status=target, reason=reason or target.value, actor=actor, now=now
        )
        await uow.commit()
    return OrderView.of(order, seat_labels(context.seat_map, [row.seat_id for row in sold]))
