"""What the ticketing workflows read in their unit of work (``uow.inventory``), without taking
a lock: the ledger takes those, in its order. Another organisation's hold or order is simply
not found."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import EventSnapshot, HoldEntry, SeatChange, StandingChange
from voelgoedevents.adapters.database.repositories import holds
from voelgoedevents.adapters.database.repositories.holds import SeatRow
from voelgoedevents.adapters.database.tables import (
    EventSeat,
    EventStandingArea,
    Order,
    SeatHold,
    SeatStateChange,
    TicketType,
)
from voelgoedevents.domain.events.ticket_type import TicketKind
from voelgoedevents.domain.ticketing.claimability import SeatSnapshot
from voelgoedevents.domain.ticketing.states import HoldStatus


@dataclass(frozen=True)
class EventHistory:
    """Everything an event's inventory has been through: its holds, orders, seats, standing
    areas, and the audit trail, oldest change first."""

    holds: dict[uuid.UUID, SeatHold]
    orders: dict[uuid.UUID, Order]
    seats: list[EventSeat]
    areas: list[EventStandingArea]
    changes: list[SeatStateChange]


class InventoryReads:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def event_of_hold(self, organization_id: uuid.UUID, hold_id: uuid.UUID) -> uuid.UUID:
        return await holds.event_of_hold(self._session, organization_id, hold_id)

    async def hold(
        self, organization_id: uuid.UUID, hold_id: uuid.UUID, holder_ref: str | None = None
    ) -> SeatHold:
        """A read: it must not queue behind (or hold up) a sale, an extension or the sweeper."""
        return await holds.get_hold(self._session, organization_id, hold_id, holder_ref)

    async def hold_by_key(
        self, organization_id: uuid.UUID, idempotency_key: str
    ) -> SeatHold | None:
        return await holds.find_hold_by_key(self._session, organization_id, idempotency_key)

    async def order(self, organization_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        return await holds.get_order(self._session, organization_id, order_id)

    async def seats(
        self, event_id: uuid.UUID, seat_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, SeatSnapshot]:
        return await holds.read_seats(self._session, event_id, seat_ids, lock=False)

    async def seats_of_hold(self, hold_id: uuid.UUID) -> list[SeatRow]:
        """The seats the hold holds now."""
        return await holds.seats_of_hold(self._session, hold_id)

    async def seats_of_order(self, order_id: uuid.UUID) -> list[SeatRow]:
        """The seats the order has sold (none once cancelled or refunded)."""
        return await holds.seats_of_order(self._session, order_id)

    async def places_left(self, event_id: uuid.UUID, section_id: uuid.UUID) -> int:
        area = await holds.read_area(self._session, event_id, section_id)
        return area.capacity - area.used if area else 0

    async def seated_prices(self, event_id: uuid.UUID) -> dict[str | None, tuple[Decimal, str]]:
        """price tier -> (price, currency) of the event's seated ticket types."""
        rows = await self._session.execute(
            sa.select(TicketType.price_tier, TicketType.price, TicketType.currency).where(
                TicketType.event_id == event_id, TicketType.kind == TicketKind.SEATED
            )
        )
        return {row.price_tier: (row.price, row.currency) for row in rows}

    async def snapshot(self, event_id: uuid.UUID) -> EventSnapshot:
        """The event's inventory as the database has it now, to (re)build the cache from."""
        seats = [
            SeatChange(row.seat_index, row.version, row.status, row.held_until)
            for row in await self._session.execute(
                sa.select(
                    EventSeat.seat_index, EventSeat.version, EventSeat.status, EventSeat.held_until
                ).where(EventSeat.event_id == event_id)
            )
        ]
        standing = [
            StandingChange(
                row.section_id,
                row.version,
                row.held_count + row.sold_count + row.blocked_count,
                row.capacity,
            )
            for row in await self._session.scalars(
                sa.select(EventStandingArea).where(EventStandingArea.event_id == event_id)
            )
        ]
        active = [
            HoldEntry(row.id, row.held_until)
            for row in await self._session.execute(
                sa.select(SeatHold.id, SeatHold.held_until).where(
                    SeatHold.event_id == event_id, SeatHold.status == HoldStatus.ACTIVE
                )
            )
        ]
        return EventSnapshot(seat_count=len(seats), seats=seats, standing=standing, holds=active)

    async def active_hold_ids(self, event_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self._session.scalars(
            sa.select(SeatHold.id).where(
                SeatHold.event_id == event_id, SeatHold.status == HoldStatus.ACTIVE
            )
        )
        return set(rows)

    async def history(self, event_id: uuid.UUID) -> EventHistory:
        session = self._session
        return EventHistory(
            holds={
                row.id: row
                for row in await session.scalars(
                    sa.select(SeatHold).where(SeatHold.event_id == event_id)
                )
            },
            orders={
                row.id: row
                for row in await session.scalars(sa.select(Order).where(Order.event_id == event_id))
            },
            seats=list(
                await session.scalars(sa.select(EventSeat).where(EventSeat.event_id == event_id))
            ),
            areas=list(
                await session.scalars(
                    sa.select(EventStandingArea).where(EventStandingArea.event_id == event_id)
                )
            ),
            changes=list(
                await session.scalars(
                    sa.select(SeatStateChange)
                    .where(SeatStateChange.event_id == event_id)
                    .order_by(SeatStateChange.id)
                )
            ),
        )
