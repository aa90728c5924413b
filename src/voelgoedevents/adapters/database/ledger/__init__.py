"""The inventory ledger: the one writer of seat inventory.

Every change to a seat's state (``event_seats``), to a standing area's counts, to the audit trail
(``seat_state_changes``), and to a hold's or an order's status goes through :class:`Ledger`,
which the unit of work hands out (``uow.ledger``). Its operations share three rules:

- **One lock order**: event (its sales lock) -> hold or order -> seats, by (event id, seat id)
  -> standing area, by (event id, area id). Transactions that take their locks in one order
  queue instead of deadlocking (``locks.py``).
- **Conditional writes**: a seat changes only where it still is what the writer saw (its
  version: the fence; or its holder and state); every changed row gets a new version, which
  the cache compares (``seats.py``, ``areas.py``).
- **Recorded**: every change writes its audit rows in the same transaction, and adds itself to
  the unit of work's cache batch (``changes.py``), which the unit of work writes to the cache
  after commit, never before and never after a rollback.

A workflow locks through the ledger, asks the domain, then calls one of its writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from voelgoedevents.adapters.cache.port import SeatChange
from voelgoedevents.adapters.database.ledger import audit, seats
from voelgoedevents.adapters.database.ledger.changes import PendingChanges
from voelgoedevents.adapters.database.ledger.holding import (
    DuplicateHoldKey,
    FenceMismatch,
    Holding,
    NewHold,
)
from voelgoedevents.adapters.database.ledger.inventory import create_event_inventory
from voelgoedevents.adapters.database.ledger.locks import SaleContext
from voelgoedevents.adapters.database.ledger.selling import Selling
from voelgoedevents.adapters.database.repositories.holds import SeatRow
from voelgoedevents.adapters.database.tables import Event
from voelgoedevents.domain.ticketing.claimability import SeatSnapshot
from voelgoedevents.domain.ticketing.states import SeatState

__all__ = [
    "DuplicateHoldKey",
    "FenceMismatch",
    "Ledger",
    "NewHold",
    "PendingChanges",
    "SaleContext",
]


class Ledger(Holding, Selling):
    """Locks (``lock_*``), then writes: ``hold_seats``, ``take_places``, ``extend``, ``free``,
    ``expire``, ``expire_active_holds``, ``sell``, ``cancel_order``, ``set_blocked``,
    ``create_inventory``."""

    async def set_blocked(
        self,
        organization_id: uuid.UUID,
        event_id: uuid.UUID,
        current: Mapping[uuid.UUID, SeatSnapshot],
        *,
        block: bool,
        actor: str,
        reason: str,
        now: datetime,
    ) -> list[SeatRow]:
        """Block (or unblock) the seats read, locked, in ``current``, at the versions read there.
        Returns the seats changed."""
        target = SeatState.BLOCKED if block else SeatState.AVAILABLE
        rows = await seats.update_seats(
            self._session,
            seats.fenced(event_id, {seat_id: row.version for seat_id, row in current.items()}),
            {**seats.FREE, "status": target.value},
            now,
        )
        await audit.record(
            self._session,
            organization_id=organization_id,
            event_id=event_id,
            changes=[
                audit.Change(current[row.seat_id].status, target, seat_id=row.seat_id)
                for row in rows
            ],
            actor=actor,
            reason=reason,
            now=now,
        )
        self._changes_of(organization_id, event_id).seats += [
            SeatChange(row.seat_index, row.version, row.status) for row in rows
        ]
        return rows

    async def create_inventory(self, event: Event, now: datetime) -> None:
        """The new event's seats (from its layout, each available or blocked as the layout has
        it) and standing areas, all empty."""
        await create_event_inventory(self._session, event, now)
