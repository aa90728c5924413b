"""The queries behind the lists: one page of rows in the list's order, after a position.

Keyset pagination: rows come ordered by (creation time, id), or by a position (a section's
place in its layout, a seat's index); a page starts after the last row of the one before.
Unlike offsets, pages stay correct while rows are added, and every page costs the same. Each
function returns at most ``limit`` rows (ask one more than a page to learn whether another
follows); every read is filtered by the caller's organisation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.tables import (
    ApiKey,
    Block,
    Event,
    EventSeat,
    Layout,
    Order,
    Organization,
    Seat,
    SeatHold,
    Section,
    TicketType,
    Venue,
)
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState

Row = TypeVar("Row")
RowPosition = tuple[datetime, uuid.UUID]


async def _by_creation(
    session: AsyncSession,
    table: type[Row],
    conditions: Sequence[Any],
    after: RowPosition | None,
    limit: int,
) -> list[Row]:
    """Rows ordered by (created_at, id), after ``after``."""
    created_at, row_id = table.created_at, table.id  # type: ignore[attr-defined]
    statement = sa.select(table).where(*conditions)
    if after is not None:
        statement = statement.where(sa.tuple_(created_at, row_id) > after)
    statement = statement.order_by(created_at, row_id).limit(limit)
    return list(await session.scalars(statement))


async def organizations(
    session: AsyncSession, *, after: RowPosition | None, limit: int
) -> list[Organization]:
    return await _by_creation(session, Organization, [], after, limit)


async def venues(
    session: AsyncSession, organization_id: uuid.UUID, *, after: RowPosition | None, limit: int
) -> list[Venue]:
    return await _by_creation(
        session, Venue, [Venue.organization_id == organization_id], after, limit
    )


async def layouts(
    session: AsyncSession,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    *,
    after: RowPosition | None,
    limit: int,
) -> list[Layout]:
    conditions = [Layout.organization_id == organization_id]
    if venue_id is not None:
        conditions.append(Layout.venue_id == venue_id)
    return await _by_creation(session, Layout, conditions, after, limit)


async def events(
    session: AsyncSession, organization_id: uuid.UUID, *, after: RowPosition | None, limit: int
) -> list[Event]:
    return await _by_creation(
        session, Event, [Event.organization_id == organization_id], after, limit
    )


async def ticket_types(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    after: RowPosition | None,
    limit: int,
) -> list[TicketType]:
    conditions = [TicketType.organization_id == organization_id, TicketType.event_id == event_id]
    return await _by_creation(session, TicketType, conditions, after, limit)


async def holds(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    active_only: bool,
    after: RowPosition | None,
    limit: int,
) -> list[SeatHold]:
    conditions = [SeatHold.organization_id == organization_id, SeatHold.event_id == event_id]
    if active_only:
        conditions.append(SeatHold.status == HoldStatus.ACTIVE)
    return await _by_creation(session, SeatHold, conditions, after, limit)


async def orders(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    after: RowPosition | None,
    limit: int,
) -> list[Order]:
    conditions = [Order.organization_id == organization_id, Order.event_id == event_id]
    return await _by_creation(session, Order, conditions, after, limit)


async def api_keys(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    after: RowPosition | None,
    limit: int,
) -> list[ApiKey]:
    return await _by_creation(
        session, ApiKey, [ApiKey.organization_id == organization_id], after, limit
    )


async def seats_of_holds(
    session: AsyncSession, event_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """hold id -> the seats it holds, for a page of one event's holds, in one query (the same
    seats as one hold's own read: those still held under it)."""
    return await _seats_by_owner(session, event_id, EventSeat.hold_id, hold_ids, SeatState.HELD)


async def seats_of_orders(
    session: AsyncSession, event_id: uuid.UUID, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """order id -> the seats it bought (still sold to it), for a page of one event's orders."""
    return await _seats_by_owner(session, event_id, EventSeat.order_id, order_ids, SeatState.SOLD)


async def _seats_by_owner(
    session: AsyncSession,
    event_id: uuid.UUID,
    owner: Any,
    owner_ids: Sequence[uuid.UUID],
    state: SeatState,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {owner_id: [] for owner_id in owner_ids}
    if not owner_ids:
        return found
    rows = await session.execute(
        sa.select(owner, EventSeat.seat_id)
        .where(
            EventSeat.event_id == event_id,
            owner.in_(list(owner_ids)),
            EventSeat.status == state,
        )
        .order_by(EventSeat.seat_index)
    )
    for owner_id, seat_id in rows:
        found[owner_id].append(seat_id)
    return found


async def sections(
    session: AsyncSession, layout_id: uuid.UUID, *, after: int, limit: int
) -> list[tuple[Section, list[Block]]]:
    """A layout's sections after position ``after``, in the document's order, each with its
    blocks (two queries, whatever the page's size)."""
    found = list(
        await session.scalars(
            sa.select(Section)
            .where(Section.layout_id == layout_id, Section.position > after)
            .order_by(Section.position)
            .limit(limit)
        )
    )
    blocks = await session.scalars(
        sa.select(Block)
        .where(Block.layout_id == layout_id, Block.section_id.in_([s.id for s in found]))
        .order_by(Block.position)
    )
    by_section: dict[uuid.UUID, list[Block]] = {section.id: [] for section in found}
    for block in blocks:
        by_section[block.section_id].append(block)
    return [(section, by_section[section.id]) for section in found]


async def seats(
    session: AsyncSession, layout_id: uuid.UUID, *, after: int, limit: int
) -> list[Seat]:
    """A layout's seats after index ``after``, in seat-index order."""
    return list(
        await session.scalars(
            sa.select(Seat)
            .where(Seat.layout_id == layout_id, Seat.seat_index > after)
            .order_by(Seat.seat_index)
            .limit(limit)
        )
    )
