"""Reading holds, orders and per-event seat state (the ledger writes them).

Every read filters by the caller's organisation, or reaches rows through an id that did. The
``lock`` flags exist for the ledger, which takes its locks in one order (``ledger/locks.py``);
a workflow's read takes none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import EventSeat, EventStandingArea, Order, SeatHold
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.ticketing.claimability import SeatSnapshot
from voelgoedevents.domain.ticketing.hold import HoldSnapshot
from voelgoedevents.domain.ticketing.states import SeatState

_SEATS = table_of(EventSeat)
_AREAS = table_of(EventStandingArea)


@dataclass(frozen=True)
class SeatRow:
    """A seat as a write left it."""

    seat_id: uuid.UUID
    seat_index: int
    version: int
    status: SeatState
    held_until: datetime | None


@dataclass(frozen=True)
class AreaRow:
    section_id: uuid.UUID
    capacity: int
    held: int
    sold: int
    blocked: int
    version: int

    @property
    def used(self) -> int:
        return self.held + self.sold + self.blocked


SEAT_COLUMNS = (
    _SEATS.c.seat_id,
    _SEATS.c.seat_index,
    _SEATS.c.version,
    _SEATS.c.status,
    _SEATS.c.held_until,
)
AREA_COLUMNS = (
    _AREAS.c.section_id,
    _AREAS.c.capacity,
    _AREAS.c.held_count,
    _AREAS.c.sold_count,
    _AREAS.c.blocked_count,
    _AREAS.c.version,
)


# --- holds and orders ---------------------------------------------------------------------------


def hold_snapshot(hold: SeatHold) -> HoldSnapshot:
    return HoldSnapshot(
        id=hold.id,
        event_id=hold.event_id,
        status=hold.status,
        held_until=hold.held_until,
        created_at=hold.created_at,
        holder_ref=hold.holder_ref,
        order_id=hold.order_id,
    )


async def event_of_hold(
    session: AsyncSession, organization_id: uuid.UUID, hold_id: uuid.UUID
) -> uuid.UUID:
    """Without a lock: to lock the event before the hold (the lock order)."""
    event_id = await session.scalar(
        sa.select(SeatHold.event_id).where(
            SeatHold.id == hold_id, SeatHold.organization_id == organization_id
        )
    )
    if event_id is None:
        raise NotFound("hold not found", what="hold", id=str(hold_id))
    return event_id


async def get_hold(
    session: AsyncSession,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    holder_ref: str | None = None,
    *,
    lock: bool = False,
) -> SeatHold:
    """The hold (``lock``: row-locked). With ``holder_ref``, another holder's hold is simply
    not found."""
    hold = await get_owned(
        session, SeatHold, organization_id, hold_id, what="hold", for_update=lock
    )
    if holder_ref is not None and hold.holder_ref != holder_ref:
        raise NotFound("hold not found", what="hold", id=str(hold_id))
    return hold


async def find_hold_by_key(
    session: AsyncSession, organization_id: uuid.UUID, idempotency_key: str
) -> SeatHold | None:
    return (
        await session.execute(
            sa.select(SeatHold).where(
                SeatHold.organization_id == organization_id,
                SeatHold.idempotency_key == idempotency_key,
            )
        )
    ).scalar_one_or_none()


async def get_order(
    session: AsyncSession, organization_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False
) -> Order:
    return await get_owned(session, Order, organization_id, order_id, what="order", for_update=lock)


async def section_of_order(session: AsyncSession, order_id: uuid.UUID) -> uuid.UUID | None:
    """The standing area an order's places are in (its hold's), if it has any."""
    return await session.scalar(sa.select(SeatHold.section_id).where(SeatHold.order_id == order_id))


# --- seats and areas ----------------------------------------------------------------------------


async def read_seats(
    session: AsyncSession, event_id: uuid.UUID, seat_ids: Iterable[uuid.UUID], *, lock: bool
) -> dict[uuid.UUID, SeatSnapshot]:
    """The seats' rows; with ``lock``, row-locked in seat-id order (one order for everyone, so
    two transactions locking overlapping seats cannot deadlock)."""
    statement = (
        sa.select(
            EventSeat.seat_id,
            EventSeat.seat_index,
            EventSeat.status,
            EventSeat.version,
            EventSeat.hold_id,
            EventSeat.order_id,
            EventSeat.held_until,
        )
        .where(EventSeat.event_id == event_id, EventSeat.seat_id.in_(sorted(seat_ids)))
        .order_by(EventSeat.seat_id)
    )
    if lock:
        statement = statement.with_for_update()
    return {
        row.seat_id: SeatSnapshot(
            row.seat_id,
            row.seat_index,
            row.status,
            row.version,
            row.hold_id,
            row.order_id,
            row.held_until,
        )
        for row in await session.execute(statement)
    }


async def seats_of_hold(session: AsyncSession, hold_id: uuid.UUID) -> list[SeatRow]:
    rows = await session.execute(
        sa.select(*SEAT_COLUMNS).where(
            _SEATS.c.hold_id == hold_id, _SEATS.c.status == SeatState.HELD.value
        )
    )
    return [SeatRow(*row) for row in rows]


async def seat_holders(
    session: AsyncSession, hold_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """seat id -> the hold holding it, for these holds of ONE event (a seat id is a seat of every
    event of its layout). No lock: for bookkeeping."""
    rows = await session.execute(
        sa.select(_SEATS.c.seat_id, _SEATS.c.hold_id).where(
            _SEATS.c.hold_id.in_(list(hold_ids)), _SEATS.c.status == SeatState.HELD.value
        )
    )
    return {row.seat_id: row.hold_id for row in rows}


async def seats_of_order(session: AsyncSession, order_id: uuid.UUID) -> list[SeatRow]:
    rows = await session.execute(
        sa.select(*SEAT_COLUMNS).where(
            _SEATS.c.order_id == order_id, _SEATS.c.status == SeatState.SOLD.value
        )
    )
    return [SeatRow(*row) for row in rows]


async def read_area(
    session: AsyncSession, event_id: uuid.UUID, section_id: uuid.UUID
) -> AreaRow | None:
    row = (
        await session.execute(
            sa.select(*AREA_COLUMNS).where(
                _AREAS.c.event_id == event_id, _AREAS.c.section_id == section_id
            )
        )
    ).one_or_none()
    return AreaRow(*row) if row else None
