"""Lists, a page at a time, always within the caller's organisation.

Each list reads one page through its query (``adapters/database/repositories/listing.py``) and
hands out a cursor bound to the list and its filters (``workflows/paging.py``): a page of
holds or orders shows each one's seats, exactly as reading that hold or order alone does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from voelgoedevents.adapters.database.repositories import audit
from voelgoedevents.adapters.database.repositories import listing as queries
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Event, Layout
from voelgoedevents.workflows.access import ApiKeyView
from voelgoedevents.workflows.paging import (
    MAX_CHANGE_ID,
    MAX_LIMIT,
    MAX_SEAT_INDEX,
    MAX_SEAT_LIMIT,
    ListScope,
    Page,
    RowPosition,
    check_limit,
    decode_cursor,
    encode_cursor,
    index_position,
    row_position,
)
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.inventory_view import ChangeView
from voelgoedevents.workflows.ticketing.views import HoldView, OrderView, seat_labels
from voelgoedevents.workflows.views import (
    EventView,
    LayoutView,
    OrganizationView,
    TicketTypeView,
    VenueView,
)

__all__ = ["MAX_LIMIT", "MAX_SEAT_LIMIT", "BlockView", "Page", "SeatView", "SectionView"]

R = TypeVar("R")
T = TypeVar("T")
# One page's rows, read in the list's transaction: (session, after, how many) -> rows.
Fetch = Callable[[Any, RowPosition | None, int], Awaitable[list[R]]]


def _after(services: Services, scope: ListScope, cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    return decode_cursor(services.settings.api.secret, scope, cursor)


def _cursor(services: Services, scope: ListScope, position: dict[str, Any]) -> str:
    return encode_cursor(services.settings.api.secret, scope, position)


async def _by_creation(
    services: Services,
    scope: ListScope,
    cursor: str | None,
    limit: int,
    fetch: Fetch[R],
    position: Callable[[R], RowPosition],
) -> tuple[list[R], str | None]:
    """A page of a list ordered by (created_at, id), and the cursor of the next one."""
    check_limit(limit)
    named = _after(services, scope, cursor)
    after = None if named is None else row_position(named)
    async with services.uow() as uow:
        rows = await fetch(uow.session, after, limit + 1)
    if len(rows) <= limit:
        return rows, None
    at, row_id = position(rows[limit - 1])
    return rows[:limit], _cursor(services, scope, {"t": at.isoformat(), "i": str(row_id)})


def _created(row: Any) -> RowPosition:
    return row.created_at, row.id


async def list_organizations(
    services: Services, *, cursor: str | None = None, limit: int = 50
) -> Page[OrganizationView]:
    rows, more = await _by_creation(
        services,
        ListScope("organizations"),
        cursor,
        limit,
        lambda session, after, n: queries.organizations(session, after=after, limit=n),
        _created,
    )
    return Page([OrganizationView.of(row) for row in rows], more)


async def list_venues(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[VenueView]:
    rows, more = await _by_creation(
        services,
        ListScope("venues", (organization_id,)),
        cursor,
        limit,
        lambda session, after, n: queries.venues(session, organization_id, after=after, limit=n),
        _created,
    )
    return Page([VenueView.of(row) for row in rows], more)


async def list_layouts(
    services: Services,
    *,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LayoutView]:
    rows, more = await _by_creation(
        services,
        ListScope("layouts", (organization_id, venue_id)),
        cursor,
        limit,
        lambda session, after, n: queries.layouts(
            session, organization_id, venue_id, after=after, limit=n
        ),
        _created,
    )
    return Page([LayoutView.of(row) for row in rows], more)


async def list_events(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[EventView]:
    rows, more = await _by_creation(
        services,
        ListScope("events", (organization_id,)),
        cursor,
        limit,
        lambda session, after, n: queries.events(session, organization_id, after=after, limit=n),
        _created,
    )
    return Page([EventView.of(row) for row in rows], more)


async def list_ticket_types(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[TicketTypeView]:
    await _owned_event(services, organization_id, event_id)
    rows, more = await _by_creation(
        services,
        ListScope("ticket_types", (organization_id, event_id)),
        cursor,
        limit,
        lambda session, after, n: queries.ticket_types(
            session, organization_id, event_id, after=after, limit=n
        ),
        _created,
    )
    return Page([TicketTypeView.of(row) for row in rows], more)


async def list_holds(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    active_only: bool = True,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[HoldView]:
    """Each hold with its seats, as reading it alone shows them: the page's seats come in one
    query, whatever the number of holds."""
    context = await services.seat_maps.event(organization_id, event_id)  # NotFound first

    async def fetch(session: Any, after: RowPosition | None, n: int) -> list[Any]:
        rows = await queries.holds(
            session, organization_id, event_id, active_only=active_only, after=after, limit=n
        )
        seats = await queries.seats_of_holds(session, event_id, [row.id for row in rows[:limit]])
        return [(row, seats.get(row.id, [])) for row in rows]

    pairs, more = await _by_creation(
        services,
        ListScope("holds", (organization_id, event_id, active_only)),
        cursor,
        limit,
        fetch,
        lambda pair: _created(pair[0]),
    )
    now = services.clock()
    return Page(
        [HoldView.of(hold, seat_labels(context.seat_map, seats), now) for hold, seats in pairs],
        more,
    )


async def list_orders(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OrderView]:
    """Each order with its seats, as reading it alone shows them (one query for the page)."""
    context = await services.seat_maps.event(organization_id, event_id)

    async def fetch(session: Any, after: RowPosition | None, n: int) -> list[Any]:
        rows = await queries.orders(session, organization_id, event_id, after=after, limit=n)
        seats = await queries.seats_of_orders(session, event_id, [row.id for row in rows[:limit]])
        return [(row, seats.get(row.id, [])) for row in rows]

    pairs, more = await _by_creation(
        services,
        ListScope("orders", (organization_id, event_id)),
        cursor,
        limit,
        fetch,
        lambda pair: _created(pair[0]),
    )
    return Page(
        [OrderView.of(order, seat_labels(context.seat_map, seats)) for order, seats in pairs],
        more,
    )


async def list_api_keys(
    services: Services, *, organization_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Page[ApiKeyView]:
    """An organisation's keys, revoked ones too (never their tokens)."""
    rows, more = await _by_creation(
        services,
        ListScope("api_keys", (organization_id,)),
        cursor,
        limit,
        lambda session, after, n: queries.api_keys(session, organization_id, after=after, limit=n),
        _created,
    )
    return Page([ApiKeyView.of(row) for row in rows], more)


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
    check_limit(limit)
    scope = ListScope("history", (organization_id, event_id, seat_id, hold_id))
    named = _after(services, scope, cursor)
    after = -1 if named is None else index_position(named, "c", MAX_CHANGE_ID)
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
    return Page(
        [ChangeView.of(row) for row in rows],
        _cursor(services, scope, {"c": rows[-1].id}) if more else None,
    )


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
    check_limit(limit)
    scope = ListScope("sections", (organization_id, layout_id))
    async with services.uow() as uow:
        # Another organisation's layout is not found, whatever cursor came with it.
        await get_owned(uow.session, Layout, organization_id, layout_id, what="layout")
        named = _after(services, scope, cursor)
        after = -1 if named is None else index_position(named, "p", MAX_SEAT_INDEX)
        found = await queries.sections(uow.session, layout_id, after=after, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return Page(
        [
            SectionView(
                s.id,
                s.name,
                s.section_type.value,
                s.capacity,
                s.price_tier,
                dict(s.metadata_),
                [BlockView(b.id, b.name, b.capacity, dict(b.metadata_)) for b in blocks],
            )
            for s, blocks in found
        ],
        _cursor(services, scope, {"p": found[-1][0].position}) if more else None,
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
    check_limit(limit, MAX_SEAT_LIMIT)
    scope = ListScope("seats", (organization_id, layout_id))
    async with services.uow() as uow:
        await get_owned(uow.session, Layout, organization_id, layout_id, what="layout")
        named = _after(services, scope, cursor)
        after = -1 if named is None else index_position(named, "s", MAX_SEAT_INDEX)
        rows = await queries.seats(uow.session, layout_id, after=after, limit=limit + 1)
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
        _cursor(services, scope, {"s": rows[-1].seat_index}) if more else None,
    )
