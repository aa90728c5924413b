"""Taking seats and places: a new hold (the reserve, the hot path), and more time for one."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from voelgoedevents.adapters.cache.port import HoldEntry, SeatChange, StandingChange
from voelgoedevents.adapters.database.base import new_id, table_of
from voelgoedevents.adapters.database.ledger import areas, audit, reserve_pg, seats
from voelgoedevents.adapters.database.ledger.freeing import Freeing
from voelgoedevents.adapters.database.repositories.holds import SeatRow
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.domain.ticketing.hold import ensure_covers_its_seats
from voelgoedevents.domain.ticketing.states import HoldSource, HoldStatus, SeatState

_INSERT_HOLD = sa.insert(table_of(SeatHold))


class FenceMismatch(Exception):
    """Some seats were no longer at the versions the writer expected (the cache's were behind
    the database): roll back and redo the write on the database's own row locks."""


class DuplicateHoldKey(Exception):
    """Another attempt with the same idempotency key committed its hold first."""


@dataclass(frozen=True)
class NewHold:
    """A hold about to be taken: whose, on which event, until when, and the request it answers
    (``seat_count`` seats, or ``quantity`` places of the standing area ``section_id``)."""

    organization_id: uuid.UUID
    event_id: uuid.UUID
    holder_ref: str
    source: HoldSource
    held_until: datetime
    created_at: datetime
    request_fingerprint: str
    idempotency_key: str | None = None
    seat_count: int = 0
    section_id: uuid.UUID | None = None
    quantity: int = 0

    def row(self) -> dict[str, Any]:
        """The hold's row, every column's value, with a new id."""
        return {
            "id": new_id(),
            "organization_id": self.organization_id,
            "event_id": self.event_id,
            "holder_ref": self.holder_ref,
            "status": HoldStatus.ACTIVE,
            "source": self.source,
            "held_until": self.held_until,
            "seat_count": self.seat_count,
            "section_id": self.section_id,
            "ticket_type_id": None,
            "quantity": self.quantity,
            "extension_count": 0,
            "idempotency_key": self.idempotency_key,
            "request_fingerprint": self.request_fingerprint,
            "cancellation_reason": None,
            "order_id": None,
            "version": 0,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }


class Holding(Freeing):
    async def hold_seats(
        self,
        new: NewHold,
        expected: Mapping[uuid.UUID, int],
        before: Mapping[uuid.UUID, SeatState],
        *,
        actor: str,
    ) -> SeatHold:
        """Insert the hold, then hold each seat still at its ``expected`` version (the fence),
        with an audit row each (from its state ``before``). On PostgreSQL one statement does
        all three (``reserve_pg.py``). Raises FenceMismatch unless every seat was held, and
        DuplicateHoldKey if the request's idempotency key already has its hold."""
        hold = new.row()
        rows: list[SeatRow] | list[reserve_pg.HeldSeat]
        if await self._on_postgresql():
            with _duplicate_key_guard(new):
                rows = await reserve_pg.insert_hold_and_hold_seats(
                    self._session, hold, expected, actor=actor
                )
        else:  # SQLite: no data-modifying CTEs, so the same three steps one by one
            rows = await self._hold_seats_step_by_step(new, hold, expected, before, actor)
        if len(rows) != len(expected):
            raise FenceMismatch
        changes = self._changes_of(new.organization_id, new.event_id)
        changes.seats += [
            SeatChange(row.seat_index, row.version, row.status, row.held_until) for row in rows
        ]
        changes.holds_set.append(HoldEntry(hold["id"], hold["held_until"]))
        return SeatHold(**hold)

    async def _hold_seats_step_by_step(
        self,
        new: NewHold,
        hold: dict[str, Any],
        expected: Mapping[uuid.UUID, int],
        before: Mapping[uuid.UUID, SeatState],
        actor: str,
    ) -> list[SeatRow]:
        await self._insert_hold(new, hold)
        rows = await seats.update_seats(
            self._session,
            seats.fenced(new.event_id, expected),
            {
                "status": SeatState.HELD.value,
                "hold_id": hold["id"],
                "held_until": hold["held_until"],
                "order_id": None,
            },
            new.created_at,
        )
        await audit.record(
            self._session,
            organization_id=new.organization_id,
            event_id=new.event_id,
            changes=[
                audit.Change(
                    before[row.seat_id], SeatState.HELD, seat_id=row.seat_id, hold_id=hold["id"]
                )
                for row in rows
            ],
            actor=actor,
            reason="reserved",
            now=new.created_at,
        )
        return rows

    async def take_places(self, new: NewHold, *, actor: str) -> SeatHold | None:
        """Insert the hold, then take its ``quantity`` places of the area if they fit; the
        places of lapsed, unswept holds count as free (those holds are expired first). None if
        they do not fit: the caller refuses, and its rollback undoes the hold."""
        assert new.section_id is not None
        hold = new.row()
        await self._insert_hold(new, hold)
        area = await areas.take_places(self._session, new.event_id, new.section_id, new.quantity)
        released: list[uuid.UUID] = []
        if area is None:
            released = await self._expire_lapsed_places(
                new.event_id, new.section_id, new.created_at
            )
            if released:
                area = await areas.take_places(
                    self._session, new.event_id, new.section_id, new.quantity
                )
        if area is None:
            return None
        await audit.record(
            self._session,
            organization_id=new.organization_id,
            event_id=new.event_id,
            changes=[
                audit.Change(
                    SeatState.AVAILABLE,
                    SeatState.HELD,
                    section_id=new.section_id,
                    quantity=new.quantity,
                    hold_id=hold["id"],
                )
            ],
            actor=actor,
            reason="reserved",
            now=new.created_at,
        )
        changes = self._changes_of(new.organization_id, new.event_id)
        changes.standing.append(
            StandingChange(new.section_id, area.version, area.used, area.capacity)
        )
        changes.holds_set.append(HoldEntry(hold["id"], hold["held_until"]))
        changes.holds_removed += released
        return SeatHold(**hold)

    async def extend(self, hold: SeatHold, held_until: datetime, *, now: datetime) -> list[SeatRow]:
        """Give the (locked) hold until ``held_until``, its seats likewise; all or nothing (a
        seat lost after the hold lapsed refuses the whole extension)."""
        hold.held_until = held_until
        hold.extension_count += 1
        hold.version += 1
        hold.updated_at = now
        rows = await seats.update_seats(
            self._session, seats.held_by(hold.id), {"held_until": held_until}, now
        )
        ensure_covers_its_seats(hold, rows)
        changes = self._changes_of(hold.organization_id, hold.event_id)
        changes.seats += [
            SeatChange(row.seat_index, row.version, row.status, row.held_until) for row in rows
        ]
        changes.holds_set.append(HoldEntry(hold.id, held_until))
        return rows

    async def _insert_hold(self, new: NewHold, hold: dict[str, Any]) -> None:
        """Before any seat or place: a second attempt with the same key stops here, on the unique
        constraint, before it touches one."""
        with _duplicate_key_guard(new):
            # A Core insert: on the reserve path an ORM flush of one row costs more than the SQL.
            await (await self._session.connection()).execute(_INSERT_HOLD, hold)


@contextlib.contextmanager
def _duplicate_key_guard(new: NewHold) -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if new.idempotency_key is not None and "idempotency_key" in str(exc.orig):
            raise DuplicateHoldKey from None
        raise
