"""The ledger's locks, in the one order every transaction takes them:

    event (its sales lock) -> hold or order -> seats, by (event id, seat id) -> standing area,
    by (event id, area id)

Transactions that take their locks in one order queue instead of deadlocking. The seats and
areas are locked by the writes themselves (``seats.py``, ``areas.py``); this module has the
event's and the holds' locks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.tables import Event, Organization, SeatHold
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.events.event import EventSaleState, EventSchedule, EventStatus
from voelgoedevents.domain.ticketing.policy import PolicyOverrides, parse_overrides
from voelgoedevents.domain.ticketing.states import HoldStatus


@dataclass(frozen=True)
class SaleContext:
    """What the sale rules need about an event, read under its sales lock."""

    sale: EventSaleState
    status: EventStatus
    layout_id: uuid.UUID | None
    organization_policy: PolicyOverrides
    event_policy: PolicyOverrides


async def lock_event_sales(
    session: AsyncSession, event_id: uuid.UUID, *, exclusive: bool = False
) -> None:
    """The event's sales lock, for the rest of the transaction: shared by everything that sells
    (reserve, sell, extend, block), exclusive for a status change (cancel, postpone). A cancel
    therefore waits for the holds in flight and no hold starts on an event being cancelled.

    A PostgreSQL advisory lock, not ``SELECT ... FOR SHARE``: hundreds of buyers share-locking
    one event row make PostgreSQL build a new MultiXact per locker and write it into the row,
    which serialises an on-sale on that row. The advisory lock lives in the lock manager.
    (SQLite runs one writer at a time anyway: nothing to do.)
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    statement = _EXCLUSIVE_SALES_LOCK if exclusive else _SHARED_SALES_LOCK
    await connection.execute(statement, {"event": str(event_id)})


# The advisory lock key of an event: a hash of its id, seeded with a constant of ours so the keys
# stay apart from those other software on the same database might take with the default seed.
_SALES_LOCK_KEY = sa.func.hashtextextended(sa.bindparam("event", type_=sa.Text), 8_300_001)
_SHARED_SALES_LOCK = sa.select(sa.func.pg_advisory_xact_lock_shared(_SALES_LOCK_KEY))
_EXCLUSIVE_SALES_LOCK = sa.select(sa.func.pg_advisory_xact_lock(_SALES_LOCK_KEY))
_SALE_FACTS = (
    sa.select(
        Event.status,
        Event.start_at,
        Event.end_at,
        Event.sale_start_at,
        Event.sale_end_at,
        Event.rescheduled_at,
        Event.settings,
        Event.layout_id,
        Organization.settings.label("organization_settings"),
    )
    .join(Organization, Organization.id == Event.organization_id)
    .where(Event.id == sa.bindparam("event"), Event.organization_id == sa.bindparam("org"))
)


async def lock_event_for_sale(
    session: AsyncSession, organization_id: uuid.UUID, event_id: uuid.UUID
) -> SaleContext:
    """Take the event's shared sales lock, *then* read it (the read's snapshot comes after any
    status change that held the lock), so no hold is taken on an event that stopped selling."""
    await lock_event_sales(session, event_id)
    connection = await session.connection()
    result = await connection.execute(_SALE_FACTS, {"event": event_id, "org": organization_id})
    row = result.one_or_none()
    if row is None:
        raise NotFound("event not found")
    schedule = EventSchedule(row.start_at, row.end_at, row.sale_start_at, row.sale_end_at)
    return SaleContext(
        sale=EventSaleState(row.status, schedule, row.rescheduled_at),
        status=row.status,
        layout_id=row.layout_id,
        organization_policy=parse_overrides(row.organization_settings, where="organization"),
        event_policy=parse_overrides(row.settings, where="event"),
    )


async def due_holds(session: AsyncSession, now: datetime, limit: int) -> list[SeatHold]:
    """Active holds past their time, oldest first. SKIP LOCKED: two sweepers never take the same
    hold, and a hold being sold or extended right now is left to that transaction."""
    statement = (
        sa.select(SeatHold)
        .where(SeatHold.status == HoldStatus.ACTIVE, SeatHold.held_until <= now)
        .order_by(SeatHold.held_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))


async def active_holds(session: AsyncSession, event_id: uuid.UUID) -> list[SeatHold]:
    return list(
        await session.scalars(
            sa.select(SeatHold)
            .where(SeatHold.event_id == event_id, SeatHold.status == HoldStatus.ACTIVE)
            .with_for_update()
        )
    )


async def expired_standing_holds(
    session: AsyncSession, event_id: uuid.UUID, section_id: uuid.UUID, now: datetime
) -> list[SeatHold]:
    """Expired, unswept holds on a standing area: their places count as free. SKIP LOCKED: a
    hold another transaction has (the sweeper's, a sale's) is left to it, never waited for."""
    return list(
        await session.scalars(
            sa.select(SeatHold)
            .where(
                SeatHold.event_id == event_id,
                SeatHold.section_id == section_id,
                SeatHold.status == HoldStatus.ACTIVE,
                SeatHold.held_until <= now,
            )
            .with_for_update(skip_locked=True)
        )
    )
