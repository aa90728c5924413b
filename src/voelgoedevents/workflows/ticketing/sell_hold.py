"""Sell: an active, unexpired hold becomes an order, and its seats (or places) are sold.

Idempotent: selling a hold that was already sold answers with its order. Only cancelling or
refunding that order (an admin act, ``orders.py``) makes the seats available again.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from voelgoedevents.adapters.database.repositories.holds import SeatRow, hold_snapshot
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.domain.errors import EventNotOnSale
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap
from voelgoedevents.domain.ticketing.hold import ensure_live
from voelgoedevents.domain.ticketing.states import HoldStatus
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.views import OrderView, seat_labels


async def sell_hold(
    services: Services,
    *,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    holder_ref: str | None = None,
    actor: str | None = None,
) -> OrderView:
    now = services.clock()
    async with services.uow() as uow:
        event_id = await uow.inventory.event_of_hold(organization_id, hold_id)
        sale = await uow.ledger.lock_event_for_sale(organization_id, event_id)
        hold = await uow.ledger.lock_hold(organization_id, hold_id, holder_ref)
        context = await services.seat_maps.event(organization_id, hold.event_id)
        if hold.status is HoldStatus.CONVERTED and hold.order_id is not None:
            order = await uow.ledger.lock_order(organization_id, hold.order_id)
            sold = await uow.inventory.seats_of_order(order.id)
            return OrderView.of(order, seat_labels(context.seat_map, [r.seat_id for r in sold]))
        ensure_live(hold_snapshot(hold), now)
        reason = sale.sale.why_not_on_sale(now)
        if reason is not None:
            raise EventNotOnSale(f"checkout closed: {reason}", status=sale.status.value)
        order, seats = await uow.ledger.sell(
            hold, actor=actor or f"holder:{hold.holder_ref}", now=now
        )
        prices = await uow.inventory.seated_prices(hold.event_id)
        order.total_amount, order.currency = _price(prices, hold, context.seat_map, seats)
        await uow.commit()
    return OrderView.of(order, seat_labels(context.seat_map, [row.seat_id for row in seats]))


def _price(
    prices: dict[str | None, tuple[Decimal, str]],
    hold: SeatHold,
    seat_map: LayoutSeatMap | None,
    seats: list[SeatRow],
) -> tuple[Decimal | None, str | None]:
    """Seats are priced through their section's tier (a seated ticket type of that tier);
    standing places likewise. No price found for some place: no total."""
    if seat_map is None:
        return None, None
    tiers = [seat_map.sections[seat_map.seats[row.seat_id].section_id].price_tier for row in seats]
    if hold.section_id is not None:
        tiers = [seat_map.sections[hold.section_id].price_tier] * hold.quantity
    found = [prices.get(tier) for tier in tiers]
    if not found or any(price is None for price in found):
        return None, None
    currencies = {currency for _, currency in found}  # type: ignore[misc]
    if len(currencies) != 1:
        return None, None
    return sum((price for price, _ in found), Decimal("0")), currencies.pop()  # type: ignore[misc]
