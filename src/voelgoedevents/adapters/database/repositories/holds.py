"""Holds, orders and per-event seat state: every write is conditional.

Seat writes say what they expect (``WHERE (seat_id, version) IN ...`` or ``WHERE hold_id = ...
AND status = 'held'``) and return what they changed, with the new row versions. A writer that
lost a race changes nothing and finds out from the rows returned; the caller's transaction
decides what that means.

Lock order, everywhere: event -> hold -> seats (by event id, then seat id) -> standing area.
Transactions that take their locks in one order cannot deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import (
    Event,
    EventSeat,
    EventStandingArea,
    Order,
    Organization,
    SeatHold,
)
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.events.event import EventSaleState, EventSchedule, EventStatus
from voelgoedevents.domain.ticketing.claimability import SeatSnapshot
from voelgoedevents.domain.ticketing.hold import HoldSnapshot
from voelgoedevents.domain.ticketing.policy import PolicyOverrides, parse_overrides
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState

_SEATS = table_of(EventSeat)
_AREAS = table_of(EventStandingArea)
_HOLDS = table_of(SeatHold)


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


@dataclass(frozen=True)
class SaleContext:
    """What the sale rules need about an event, read under a share lock."""

    sale: EventSaleState
    status: EventStatus
    layout_id: uuid.UUID | None
    organization_policy: PolicyOverrides
    event_policy: PolicyOverrides


_RETURN_SEAT = (
    _SEATS.c.seat_id,
    _SEATS.c.seat_index,
    _SEATS.c.version,
    _SEATS.c.status,
    _SEATS.c.held_until,
)
_RETURN_AREA = (
    _AREAS.c.section_id,
    _AREAS.c.capacity,
    _AREAS.c.held_count,
    _AREAS.c.sold_count,
    _AREAS.c.blocked_count,
    _AREAS.c.version,
)


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


# --- holds ------------------------------------------------------------------------------------


_INSERT_HOLD = sa.insert(_HOLDS)


async def insert_hold(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """A Core insert: on the reserve path an ORM flush of one row costs more than the SQL."""
    connection = await session.connection()
    await connection.execute(_INSERT_HOLD, dict(values))


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


async def lock_hold(
    session: AsyncSession,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    holder_ref: str | None = None,
    *,
    lock: bool = True,
) -> SeatHold:
    """The hold, row-locked (``lock=False``: just read, for answers that change nothing). With
    ``holder_ref``, another holder's hold is simply not found."""
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


async def get_order(
    session: AsyncSession, organization_id: uuid.UUID, order_id: uuid.UUID
) -> Order:
    return await get_owned(session, Order, organization_id, order_id, what="order")


async def lock_order(
    session: AsyncSession, organization_id: uuid.UUID, order_id: uuid.UUID
) -> Order:
    return await get_owned(session, Order, organization_id, order_id, what="order", for_update=True)


# --- seats --------------------------------------------------------------------------------------


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
        sa.select(*_RETURN_SEAT).where(
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
        sa.select(*_RETURN_SEAT).where(
            _SEATS.c.order_id == order_id, _SEATS.c.status == SeatState.SOLD.value
        )
    )
    return [SeatRow(*row) for row in rows]


@dataclass(frozen=True)
class SeatTarget:
    """Which seats a write is for, and what they must still look like: a kind of condition
    (see ``_CONDITIONS``) with its parameters. Statements are built once per kind."""

    kind: str
    params: Mapping[str, Any]


def fenced(event_id: uuid.UUID, expected_versions: Mapping[uuid.UUID, int]) -> SeatTarget:
    """Match each seat only at the version the writer saw: the fencing value. A writer whose lock
    lease ran out while it was paused finds its versions outdated and changes nothing."""
    return SeatTarget(
        "fenced", {"p_event_id": event_id, "p_pairs": sorted(expected_versions.items())}
    )


def held_by(hold_id: uuid.UUID, seat_ids: Iterable[uuid.UUID] | None = None) -> SeatTarget:
    if seat_ids is None:
        return SeatTarget("held_by", {"p_hold_id": hold_id})
    return SeatTarget("held_by_seats", {"p_hold_id": hold_id, "p_seat_ids": sorted(seat_ids)})


def held_by_any(hold_ids: Iterable[uuid.UUID]) -> SeatTarget:
    return SeatTarget("held_by_any", {"p_hold_ids": sorted(hold_ids)})


def sold_by(order_id: uuid.UUID) -> SeatTarget:
    return SeatTarget("sold_by", {"p_order_id": order_id})


_CONDITIONS: dict[str, Callable[[], list[Any]]] = {
    "fenced": lambda: [
        _SEATS.c.event_id == sa.bindparam("p_event_id"),
        sa.tuple_(_SEATS.c.seat_id, _SEATS.c.version).in_(sa.bindparam("p_pairs", expanding=True)),
    ],
    "held_by": lambda: [
        _SEATS.c.hold_id == sa.bindparam("p_hold_id"),
        _SEATS.c.status == SeatState.HELD.value,
    ],
    "held_by_seats": lambda: [
        _SEATS.c.hold_id == sa.bindparam("p_hold_id"),
        _SEATS.c.status == SeatState.HELD.value,
        _SEATS.c.seat_id.in_(sa.bindparam("p_seat_ids", expanding=True)),
    ],
    "held_by_any": lambda: [
        _SEATS.c.hold_id.in_(sa.bindparam("p_hold_ids", expanding=True)),
        _SEATS.c.status == SeatState.HELD.value,
    ],
    "sold_by": lambda: [
        _SEATS.c.order_id == sa.bindparam("p_order_id"),
        _SEATS.c.status == SeatState.SOLD.value,
    ],
}
_UPDATES: dict[tuple[str, tuple[str, ...], bool], Any] = {}


def _update_statement(kind: str, columns: tuple[str, ...], lock_in_order: bool) -> Any:
    """Built once per (condition, columns): on the hot path, building SQLAlchemy statements
    costs more than running them."""
    key = (kind, columns, lock_in_order)
    statement = _UPDATES.get(key)
    if statement is None:
        where = _CONDITIONS[kind]()
        statement = sa.update(_SEATS).where(*where)
        if lock_in_order:
            locked = (
                sa.select(_SEATS.c.event_id, _SEATS.c.seat_id)
                .where(*where)
                .order_by(_SEATS.c.event_id, _SEATS.c.seat_id)
                .with_for_update()
                .cte("locked")
                .prefix_with("MATERIALIZED")
            )
            statement = statement.where(
                _SEATS.c.event_id == locked.c.event_id, _SEATS.c.seat_id == locked.c.seat_id
            )
        statement = statement.values(
            {
                **{name: sa.bindparam(f"new_{name}") for name in columns},
                "version": _SEATS.c.version + 1,
                "updated_at": sa.bindparam("new_updated_at"),
            }
        ).returning(*_RETURN_SEAT)
        _UPDATES[key] = statement
    return statement


async def update_seats(
    session: AsyncSession, target: SeatTarget, values: Mapping[str, Any], now: datetime
) -> list[SeatRow]:
    """One conditional UPDATE; every changed row gets a new version and comes back.

    On PostgreSQL the rows are first locked in seat order (a materialized ``SELECT ... ORDER
    BY ... FOR UPDATE``), whatever index finds them: a release (found by hold) and a reserve
    (found by seat) touching the same seats then queue instead of deadlocking.
    """
    connection = await session.connection()
    statement = _update_statement(
        target.kind, tuple(sorted(values)), connection.dialect.name == "postgresql"
    )
    parameters = {
        **target.params,
        **{f"new_{name}": value for name, value in values.items()},
        "new_updated_at": now,
    }
    return [SeatRow(*row) for row in await connection.execute(statement, parameters)]


FREE = {"status": SeatState.AVAILABLE.value, "hold_id": None, "order_id": None, "held_until": None}


# --- standing areas -----------------------------------------------------------------------------


async def take_places(
    session: AsyncSession, event_id: uuid.UUID, section_id: uuid.UUID, quantity: int
) -> AreaRow | None:
    """Hold ``quantity`` places if they fit, in one conditional statement; None if they do not."""
    row = (
        await session.execute(
            sa.update(_AREAS)
            .where(
                _AREAS.c.event_id == event_id,
                _AREAS.c.section_id == section_id,
                _AREAS.c.held_count + _AREAS.c.sold_count + _AREAS.c.blocked_count + quantity
                <= _AREAS.c.capacity,
            )
            .values(held_count=_AREAS.c.held_count + quantity, version=_AREAS.c.version + 1)
            .returning(*_RETURN_AREA)
        )
    ).one_or_none()
    return AreaRow(*row) if row else None


async def move_places(
    session: AsyncSession,
    event_id: uuid.UUID,
    section_id: uuid.UUID,
    *,
    held: int = 0,
    sold: int = 0,
) -> AreaRow:
    """Shift counts (a release: held -q; a sale: held -q, sold +q); the CHECK keeps them sane."""
    row = (
        await session.execute(
            sa.update(_AREAS)
            .where(_AREAS.c.event_id == event_id, _AREAS.c.section_id == section_id)
            .values(
                held_count=_AREAS.c.held_count + held,
                sold_count=_AREAS.c.sold_count + sold,
                version=_AREAS.c.version + 1,
            )
            .returning(*_RETURN_AREA)
        )
    ).one()
    return AreaRow(*row)


async def read_area(
    session: AsyncSession, event_id: uuid.UUID, section_id: uuid.UUID
) -> AreaRow | None:
    row = (
        await session.execute(
            sa.select(*_RETURN_AREA).where(
                _AREAS.c.event_id == event_id, _AREAS.c.section_id == section_id
            )
        )
    ).one_or_none()
    return AreaRow(*row) if row else None


async def expired_standing_holds(
    session: AsyncSession, event_id: uuid.UUID, section_id: uuid.UUID, now: datetime
) -> list[SeatHold]:
    """Expired, unswept holds on a standing area: their places count as free."""
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
