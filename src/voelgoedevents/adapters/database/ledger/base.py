"""What every ledger operation shares: the transaction, the pending cache changes, the locks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.ledger import locks
from voelgoedevents.adapters.database.ledger.changes import EventChanges, PendingChanges
from voelgoedevents.adapters.database.ledger.locks import SaleContext
from voelgoedevents.adapters.database.repositories import holds
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Event, Order, SeatHold
from voelgoedevents.domain.ticketing.claimability import SeatSnapshot


class LedgerBase:
    def __init__(self, session: AsyncSession, changes: PendingChanges) -> None:
        self._session = session
        self._changes = changes

    def _changes_of(self, organization_id: uuid.UUID, event_id: uuid.UUID) -> EventChanges:
        return self._changes.of(EventKey(organization_id, event_id))

    async def _on_postgresql(self) -> bool:
        return (await self._session.connection()).dialect.name == "postgresql"

    # --- the locks, in the lock order (event -> hold or order -> seats -> standing area) -------

    async def lock_event_for_sale(
        self, organization_id: uuid.UUID, event_id: uuid.UUID
    ) -> SaleContext:
        """The event's shared sales lock, then what the sale rules need about it."""
        return await locks.lock_event_for_sale(self._session, organization_id, event_id)

    async def lock_event_for_status_change(
        self, organization_id: uuid.UUID, event_id: uuid.UUID
    ) -> Event:
        """The event's sales lock taken exclusively (holds in flight finish first, and no new
        one starts), then its row. Ownership is read first: another organisation's id answers
        at once, like a missing one, instead of queueing behind (and holding up) the owner's
        sales. The row is locked FOR NO KEY UPDATE: holders' releases and the sweeper insert
        audit rows meanwhile, whose foreign key share-locks the event's key."""
        await get_owned(self._session, Event, organization_id, event_id, what="event")
        await locks.lock_event_sales(self._session, event_id, exclusive=True)
        return await get_owned(
            self._session,
            Event,
            organization_id,
            event_id,
            what="event",
            for_update=True,
            no_key=True,
        )

    async def lock_hold(
        self, organization_id: uuid.UUID, hold_id: uuid.UUID, holder_ref: str | None = None
    ) -> SeatHold:
        """The hold, row-locked. With ``holder_ref``, another holder's hold is not found."""
        return await holds.get_hold(self._session, organization_id, hold_id, holder_ref, lock=True)

    async def lock_order(self, organization_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        return await holds.get_order(self._session, organization_id, order_id, lock=True)

    async def lock_seats(
        self, event_id: uuid.UUID, seat_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, SeatSnapshot]:
        """The seats' rows, locked in seat order: what a write without the cache's fence decides
        on, and whose versions then fence it."""
        return await holds.read_seats(self._session, event_id, seat_ids, lock=True)

    async def lock_due_holds(self, now: datetime, limit: int) -> list[SeatHold]:
        """Active holds past their time, oldest first, that no other transaction has."""
        return await locks.due_holds(self._session, now, limit)
