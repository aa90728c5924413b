"""Selling: a hold becomes an order, its seats or places sold; and an order cancelled or
refunded gives them back."""

from __future__ import annotations

from datetime import datetime

from voelgoedevents.adapters.cache.port import SeatChange, StandingChange
from voelgoedevents.adapters.database.ledger import areas, audit, seats
from voelgoedevents.adapters.database.ledger.base import LedgerBase
from voelgoedevents.adapters.database.ledger.changes import EventChanges
from voelgoedevents.adapters.database.repositories import holds
from voelgoedevents.adapters.database.repositories.holds import SeatRow
from voelgoedevents.adapters.database.tables import Order, SeatHold
from voelgoedevents.domain.ticketing.hold import ensure_covers_its_seats
from voelgoedevents.domain.ticketing.states import HoldStatus, OrderStatus, SeatState


class Selling(LedgerBase):
    async def sell(
        self, hold: SeatHold, *, actor: str, now: datetime
    ) -> tuple[Order, list[SeatRow]]:
        """The (locked, live) hold becomes a completed order: its seats sold, all of them or
        none (a seat lost after the hold lapsed refuses the sale), or its places moved from
        held to sold. Returns the order and the seats sold."""
        order = Order(
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            holder_ref=hold.holder_ref,
            status=OrderStatus.COMPLETED,
            quantity=hold.quantity,
            created_at=now,
            updated_at=now,
        )
        self._session.add(order)
        await self._session.flush()
        changes = self._changes_of(hold.organization_id, hold.event_id)
        if hold.section_id is not None:
            sold: list[SeatRow] = []
            audited = await self._sell_places(hold, order, changes)
        else:
            sold, audited = await self._sell_seats(hold, order, now, changes)
        await audit.record(
            self._session,
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            changes=audited,
            actor=actor,
            reason="sold",
            now=now,
        )
        order.seat_count = len(sold)
        hold.status, hold.order_id = HoldStatus.CONVERTED, order.id
        hold.version += 1
        hold.updated_at = now
        changes.holds_removed.append(hold.id)
        return order, sold

    async def _sell_places(
        self, hold: SeatHold, order: Order, changes: EventChanges
    ) -> list[audit.Change]:
        assert hold.section_id is not None
        area = await areas.move_places(
            self._session, hold.event_id, hold.section_id, held=-hold.quantity, sold=hold.quantity
        )
        changes.standing.append(
            StandingChange(area.section_id, area.version, area.used, area.capacity)
        )
        return [
            audit.Change(
                SeatState.HELD,
                SeatState.SOLD,
                section_id=hold.section_id,
                quantity=hold.quantity,
                order_id=order.id,
            )
        ]

    async def _sell_seats(
        self, hold: SeatHold, order: Order, now: datetime, changes: EventChanges
    ) -> tuple[list[SeatRow], list[audit.Change]]:
        """All of the hold's seats, or none: a seat lost after it lapsed refuses the sale."""
        sold = await seats.update_seats(
            self._session,
            seats.held_by(hold.id),
            {
                "status": SeatState.SOLD.value,
                "order_id": order.id,
                "hold_id": None,
                "held_until": None,
            },
            now,
        )
        ensure_covers_its_seats(hold, sold)
        changes.seats += [SeatChange(row.seat_index, row.version, row.status) for row in sold]
        return sold, [
            audit.Change(
                SeatState.HELD,
                SeatState.SOLD,
                seat_id=row.seat_id,
                hold_id=hold.id,
                order_id=order.id,
            )
            for row in sold
        ]

    async def cancel_order(
        self, order: Order, *, status: OrderStatus, reason: str, actor: str, now: datetime
    ) -> None:
        """The (locked, completed) order ends as ``status`` (cancelled or refunded): its seats and
        places become available again."""
        rows = await seats.update_seats(self._session, seats.sold_by(order.id), seats.FREE, now)
        changes = self._changes_of(order.organization_id, order.event_id)
        changes.seats += [SeatChange(row.seat_index, row.version, row.status) for row in rows]
        audited = [
            audit.Change(
                SeatState.SOLD, SeatState.AVAILABLE, seat_id=row.seat_id, order_id=order.id
            )
            for row in rows
        ]
        section_id = await holds.section_of_order(self._session, order.id)
        if section_id is not None and order.quantity:
            area = await areas.move_places(
                self._session, order.event_id, section_id, sold=-order.quantity
            )
            changes.standing.append(
                StandingChange(section_id, area.version, area.used, area.capacity)
            )
            audited.append(
                audit.Change(
                    SeatState.SOLD,
                    SeatState.AVAILABLE,
                    section_id=section_id,
                    quantity=order.quantity,
                    order_id=order.id,
                )
            )
        order.status = status
        order.cancellation_reason = reason
        order.updated_at = now
        await audit.record(
            self._session,
            organization_id=order.organization_id,
            event_id=order.event_id,
            changes=audited,
            actor=actor,
            reason=status.value,
            now=now,
        )
