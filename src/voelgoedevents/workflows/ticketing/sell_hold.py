"""Sell: an active, unexpired hold becomes an order, and its seats (or places) are sold.

Idempotent: selling a hold that was already sold answers with its order. Only cancelling or
refunding that order (an admin act, ``orders.py``) makes the seats available again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import CommitBatch, EventKey, SeatChange, StandingChange
from voelgoedevents.adapters.database.repositories import audit
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.adapters.database.tables import Order, SeatHold, TicketType
from voelgoedevents.domain.errors import EventNotOnSale
from voelgoedevents.domain.events.ticket_type import TicketKind
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap
from voelgoedevents.domain.ticketing.hold import ensure_covers_its_seats, ensure_live
from voelgoedevents.domain.ticketing.states import HoldStatus, OrderStatus, SeatState
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import after_commit
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
        session = uow.session
        event_id = await repo.event_of_hold(session, organization_id, hold_id)
        sale = await repo.lock_event_for_sale(session, organization_id, event_id)
        hold = await repo.lock_hold(session, organization_id, hold_id, holder_ref)
        context = await services.seat_maps.event(organization_id, hold.event_id)
        if hold.status is HoldStatus.CONVERTED and hold.order_id is not None:
            order = await repo.lock_order(session, organization_id, hold.order_id)
            sold = await repo.seats_of_order(session, order.id)
            return OrderView.of(order, seat_labels(context.seat_map, [r.seat_id for r in sold]))
        ensure_live(repo.hold_snapshot(hold), now)
        reason = sale.sale.why_not_on_sale(now)
        if reason is not None:
            raise EventNotOnSale(f"checkout closed: {reason}", status=sale.status.value)
        order = Order(
            organization_id=organization_id,
            event_id=hold.event_id,
            holder_ref=hold.holder_ref,
            status=OrderStatus.COMPLETED,
            quantity=hold.quantity,
            created_at=now,
            updated_at=now,
        )
        session.add(order)
        await session.flush()
        seats, standing = await _sell(
            session, hold, order, now, actor or f"holder:{hold.holder_ref}"
        )
        order.seat_count = len(seats)
        order.total_amount, order.currency = await _price(session, hold, context.seat_map, seats)
        hold.status, hold.order_id = HoldStatus.CONVERTED, order.id
        hold.version += 1
        hold.updated_at = now
        await uow.commit()
    await after_commit(
        services,
        EventKey(organization_id, hold.event_id),
        CommitBatch(
            seats=[SeatChange(row.seat_index, row.version, row.status) for row in seats],
            standing=standing,
            holds_removed=[hold.id],
        ),
    )
    return OrderView.of(order, seat_labels(context.seat_map, [row.seat_id for row in seats]))


async def _sell(
    session: AsyncSession, hold: SeatHold, order: Order, now: datetime, actor: str
) -> tuple[list[repo.SeatRow], list[StandingChange]]:
    if hold.section_id is not None:
        area = await repo.move_places(
            session, hold.event_id, hold.section_id, held=-hold.quantity, sold=hold.quantity
        )
        await audit.record(
            session,
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            changes=[
                audit.Change(
                    SeatState.HELD,
                    SeatState.SOLD,
                    section_id=hold.section_id,
                    quantity=hold.quantity,
                    order_id=order.id,
                )
            ],
            actor=actor,
            reason="sold",
            now=now,
        )
        return [], [StandingChange(area.section_id, area.version, area.used, area.capacity)]
    rows = await repo.update_seats(
        session,
        repo.held_by(hold.id),
        {"status": SeatState.SOLD.value, "order_id": order.id, "hold_id": None, "held_until": None},
        now,
    )
    ensure_covers_its_seats(hold, rows)
    await audit.record(
        session,
        organization_id=hold.organization_id,
        event_id=hold.event_id,
        changes=[
            audit.Change(
                SeatState.HELD,
                SeatState.SOLD,
                seat_id=row.seat_id,
                hold_id=hold.id,
                order_id=order.id,
            )
            for row in rows
        ],
        actor=actor,
        reason="sold",
        now=now,
    )
    return rows, []


async def _price(
    session: AsyncSession,
    hold: SeatHold,
    seat_map: LayoutSeatMap | None,
    seats: list[repo.SeatRow],
) -> tuple[Decimal | None, str | None]:
    """Seats are priced through their section's tier (a seated ticket type of that tier);
    standing places likewise. No price found for some place: no total."""
    if seat_map is None:
        return None, None
    types = {
        row.price_tier: (row.price, row.currency)
        for row in await session.execute(
            sa.select(TicketType.price_tier, TicketType.price, TicketType.currency).where(
                TicketType.event_id == hold.event_id, TicketType.kind == TicketKind.SEATED
            )
        )
    }
    tiers = [seat_map.sections[seat_map.seats[row.seat_id].section_id].price_tier for row in seats]
    if hold.section_id is not None:
        tiers = [seat_map.sections[hold.section_id].price_tier] * hold.quantity
    prices = [types.get(tier) for tier in tiers]
    if not prices or any(price is None for price in prices):
        return None, None
    currencies = {currency for _, currency in prices}  # type: ignore[misc]
    if len(currencies) != 1:
        return None, None
    return sum((price for price, _ in prices), Decimal("0")), currencies.pop()  # type: ignore[misc]
