"""Lists, a page at a time, always within the caller's organisation.

Keyset pagination: a page ends with an opaque cursor naming its last row (creation time and id,
or a seat's index); the next page starts after it. Unlike offsets, pages stay correct while rows
are added, and every page costs the same.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from voelgoedevents.adapters.database.repositories import audit
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import (
    ApiKey,
    Block,
    Event,
    Layout,
    Order,
    Organization,
    Seat,
    SeatHold,
    Section,
    TicketType,
    Venue,
)
from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.ticketing.states import HoldStatus
from voelgoedevents.workflows.access import ApiKeyView
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.inventory_view import ChangeView
from voelgoedevents.workflows.ticketing.views import HoldView, OrderView
from voelgoedevents.workflows.views import (
    EventView,
    LayoutView,
    OrganizationView,
    TicketTypeView,
    VenueView,
)

T = TypeVar("T")
MAX_LIMIT = 200
MAX_SEAT_LIMIT = 5_000
MAX_SEAT_INDEX = 2**31  # seat indexes are INTEGER columns
MAX_CHANGE_ID = 2**63  # audit row ids are BIGINT


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None


async def _page(
    services: Services,
    table: Any,
    conditions: Sequence[Any],
    view: Callable[[Any], T],
    *,
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """Rows ordered by (created_at, id), after the cursor."""
    statement = sa.select(table).where(*conditions)
    if cursor is not None:
        statement = statement.where(sa.tuple_(table.created_at, table.id) > _row_position(cursor))
    statement = statement.order_by(table.created_at, table.id).limit(limit + 1)
    async with services.uow() as uow:
        rows = list(await uow.session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        _encode({"t": rows[-1].created_at.isoformat(), "i": str(rows[-1].id)}) if more else None
    )
    return Page([view(row) for row in rows], next_cursor)


def _row_position(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (created_at, id) a cursor names. Cursors come back from clients, so anything the
    database could not compare (a time without a zone or outside UTC's range, an id that is not
    one) is refused here as bad input."""
    position = _decode(cursor)
    at, row_id = position.get("t"), position.get("i")
    try:
        if not isinstance(at, str) or not isinstance(row_id, str):
            raise ValueError
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(UTC), uuid.UUID(row_id)
    except (ValueError, OverflowError):
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None


def _position(cursor: str | None, key: str, end: int) -> int:
    """The position a cursor of a list ordered by one integer names; -1 (before the first)
    without a cursor. A cursor of another kind of list, or out of the column's range, is
    refused as bad input."""
    if cursor is None:
        return -1
    position = _decode(cursor).get(key)
    if type(position) is not int or not 0 <= position < end:
        raise InvalidInput("cursor is not one this API gave out", field="cursor")
    return position


def _limit(limit: int, most: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit must be between 1 and {most}", field="limit")
    return limit


async def list_organizations(
    services: Services, *, cursor: str | None = None, limit: int = 50
) -> Page[OrganizationView]:
    return await _page(
        services, Organization, [], OrganizationView.of, cursor=cursor, limit=_limit(limit)
    )


async def list_venues(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[VenueView]:
    return await _page(
        services,
        Venue,
        [Venue.organization_id == organization_id],
        VenueView.of,
        cursor=cursor,
        limit=_limit(limit),
    )


async def list_layouts(
    services: Services,
    *,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LayoutView]:
    conditions = [Layout.organization_id == organization_id]
    if venue_id is not None:
        conditions.append(Layout.venue_id == venue_id)
    return await _page(
        services, Layout, conditions, LayoutView.of, cursor=cursor, limit=_limit(limit)
    )


async def list_events(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[EventView]:
    return await _page(
        services,
        Event,
        [Event.organization_id == organization_id],
        EventView.of,
        cursor=cursor,
        limit=_limit(limit),
    )


async def list_ticket_types(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[TicketTypeView]:
    await _owned_event(services, organization_id, event_id)
    return await _page(
        services,
        TicketType,
        [TicketType.organization_id == organization_id, TicketType.event_id == event_id],
        TicketTypeView.of,
        cursor=cursor,
        limit=_limit(limit),
    )


async def list_holds(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    active_only: bool = True,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[HoldView]:
    """Holds without their seats (ask for one hold to see them)."""
    await _owned_event(services, organization_id, event_id)
    conditions = [SeatHold.organization_id == organization_id, SeatHold.event_id == event_id]
    if active_only:
        conditions.append(SeatHold.status == HoldStatus.ACTIVE)
    now = services.clock()
    return await _page(
        services,
        SeatHold,
        conditions,
        lambda row: HoldView.of(row, [], now),
        cursor=cursor,
        limit=_limit(limit),
    )


async def list_orders(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OrderView]:
    await _owned_event(services, organization_id, event_id)
    return await _page(
        services,
        Order,
        [Order.organization_id == organization_id, Order.event_id == event_id],
        lambda row: OrderView.of(row, []),
        cursor=cursor,
        limit=_limit(limit),
    )


async def list_api_keys(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[ApiKeyView]:
    """An organisation's keys, revoked ones too (never their tokens)."""
    return await _page(
        services,
        ApiKey,
        [ApiKey.organization_id == organization_id],
        ApiKeyView.of,
        cursor=cursor,
        limit=_limit(limit),
    )


async def change_history(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID | None = None,
    seat_id: uuid.UUID | None = None,
    hold_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ChangeView]:
    """The audit trail of a seat or of a hold's seats, oldest first: pages follow the audit
    row's id, which grows in commit order for any one seat or hold (both are row-locked while
    they change), so a page never skips a change written after it was read."""
    after = _position(cursor, "c", MAX_CHANGE_ID)
    _limit(limit)
    async with services.uow() as uow:
        rows = await audit.history(
            uow.session,
            organization_id,
            event_id=event_id,
            seat_id=seat_id,
            hold_id=hold_id,
            after=after,
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([ChangeView.of(row) for row in rows], _encode({"c": rows[-1].id}) if more else None)


async def _owned_event(services: Services, organization_id: uuid.UUID, event_id: uuid.UUID) -> None:
    async with services.uow() as uow:
        await get_owned(uow.session, Event, organization_id, event_id, what="event")


# --- a layout's structure -----------------------------------------------------------------------


@dataclass(frozen=True)
class BlockView:
    id: uuid.UUID
    name: str
    capacity: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class SectionView:
    id: uuid.UUID
    name: str
    section_type: str
    capacity: int
    price_tier: str | None
    metadata: dict[str, Any]
    blocks: list[BlockView]


@dataclass(frozen=True)
class SeatView:
    id: uuid.UUID
    index: int
    section_id: uuid.UUID
    block_id: uuid.UUID
    row: str
    number: str
    x: float
    y: float
    category: str
    status: str


async def layout_sections(
    services: Services,
    *,
    organization_id: uuid.UUID,
    layout_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SectionView]:
    """In the layout document's order, each with its blocks."""
    after = _position(cursor, "p", MAX_SEAT_INDEX)
    _limit(limit)
    async with services.uow() as uow:
        session = uow.session
        await get_owned(session, Layout, organization_id, layout_id, what="layout")
        sections = list(
            await session.scalars(
                sa.select(Section)
                .where(Section.layout_id == layout_id, Section.position > after)
                .order_by(Section.position)
                .limit(limit + 1)
            )
        )
        more = len(sections) > limit
        sections = sections[:limit]
        blocks = list(
            await session.scalars(
                sa.select(Block)
                .where(
                    Block.layout_id == layout_id,
                    Block.section_id.in_([section.id for section in sections]),
                )
                .order_by(Block.position)
            )
        )
    by_section: dict[uuid.UUID, list[BlockView]] = {section.id: [] for section in sections}
    for block in blocks:
        by_section[block.section_id].append(
            BlockView(block.id, block.name, block.capacity, dict(block.metadata_))
        )
    return Page(
        [
            SectionView(
                s.id,
                s.name,
                s.section_type.value,
                s.capacity,
                s.price_tier,
                dict(s.metadata_),
                by_section[s.id],
            )
            for s in sections
        ],
        _encode({"p": sections[-1].position}) if more else None,
    )


async def layout_seats(
    services: Services,
    *,
    organization_id: uuid.UUID,
    layout_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 1_000,
) -> Page[SeatView]:
    """In seat-index order (the order of the event maps' bits)."""
    _limit(limit, MAX_SEAT_LIMIT)
    after = -1
    if cursor is not None:
        position = _decode(cursor).get("s")
        if not isinstance(position, int) or not 0 <= position < MAX_SEAT_INDEX:
            raise InvalidInput("cursor is not one this API gave out", field="cursor")
        after = position
    async with services.uow() as uow:
        await get_owned(uow.session, Layout, organization_id, layout_id, what="layout")
        rows = list(
            await uow.session.scalars(
                sa.select(Seat)
                .where(Seat.layout_id == layout_id, Seat.seat_index > after)
                .order_by(Seat.seat_index)
                .limit(limit + 1)
            )
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        [
            SeatView(
                r.id,
                r.seat_index,
                r.section_id,
                r.block_id,
                r.row,
                r.number,
                r.x,
                r.y,
                r.category.value,
                r.status.value,
            )
            for r in rows
        ],
        _encode({"s": rows[-1].seat_index}) if more else None,
    )
