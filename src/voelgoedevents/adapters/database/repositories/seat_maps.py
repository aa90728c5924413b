"""Layouts' seat maps and events' contexts, read once per process.

An active layout's structure never changes (see ``domain/seating/layout.py``), so its map (the
domain's :class:`~voelgoedevents.domain.seating.seat_map.LayoutSeatMap`) can be kept in memory
for the life of the process: a reserve resolves seat ids to bit indexes, sections, blocks, rows
and numbers, and seat selection finds neighbours and aisles, without touching the database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.repositories.layouts import focal_point_of
from voelgoedevents.adapters.database.tables import Block, Event, Layout, Seat, Section
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap, SectionInfo
from voelgoedevents.domain.seating.seat_map_build import (
    BlockRecord,
    SeatColumns,
    build_seat_map,
    cycle_collector_paused,
)

_LAYOUTS = table_of(Layout)
_SECTIONS = table_of(Section)
_BLOCKS = table_of(Block)
_SEATS = table_of(Seat)
# The seat index, then the columns of a SeatColumns, in its order.
_SEAT_COLUMNS = (
    _SEATS.c.seat_index,
    _SEATS.c.id,
    _SEATS.c.block_id,
    _SEATS.c.row,
    _SEATS.c.number,
    _SEATS.c.x,
    _SEATS.c.y,
    _SEATS.c.category,
    _SEATS.c.status,
    _SEATS.c.rank,
    _SEATS.c.aisle_before,
    _SEATS.c.aisle_after,
    _SEATS.c.companion_of,
)


@dataclass(frozen=True)
class EventContext:
    """The immutable facts about an event that the hot path needs."""

    organization_id: uuid.UUID
    event_id: uuid.UUID
    layout_id: uuid.UUID | None
    seat_map: LayoutSeatMap | None


async def load_seat_map(session: AsyncSession, layout_id: uuid.UUID) -> LayoutSeatMap:
    """Read a layout's structure and build its map (Core queries: no ORM objects per seat)."""
    layout = (
        await session.execute(
            sa.select(_LAYOUTS.c.focal_x, _LAYOUTS.c.focal_y).where(_LAYOUTS.c.id == layout_id)
        )
    ).one()
    sections = [
        SectionInfo(
            row.id,
            row.name,
            row.section_type,
            row.capacity,
            row.price_tier,
            focal_point_of(row.focal_x, row.focal_y),
        )
        for row in await session.execute(
            sa.select(
                _SECTIONS.c.id,
                _SECTIONS.c.name,
                _SECTIONS.c.section_type,
                _SECTIONS.c.capacity,
                _SECTIONS.c.price_tier,
                _SECTIONS.c.focal_x,
                _SECTIONS.c.focal_y,
            )
            .where(_SECTIONS.c.layout_id == layout_id)
            .order_by(_SECTIONS.c.position)
        )
    ]
    blocks = [
        BlockRecord(row.id, row.section_id, row.name)
        for row in await session.execute(
            sa.select(_BLOCKS.c.id, _BLOCKS.c.section_id, _BLOCKS.c.name).where(
                _BLOCKS.c.layout_id == layout_id
            )
        )
    ]
    # Paused across the read too, so for other tasks as well: for a few tenths of a second,
    # once per layout per process.
    with cycle_collector_paused():
        rows = (
            await session.execute(
                sa.select(*_SEAT_COLUMNS)
                .where(_SEATS.c.layout_id == layout_id)
                .order_by(_SEATS.c.seat_index)
            )
        ).all()
        indexes, *columns = zip(*rows, strict=True) if rows else [()] * len(_SEAT_COLUMNS)
        del rows
        if indexes != tuple(range(len(indexes))):
            raise AssertionError(f"layout {layout_id}: seat indexes are not 0 .. n-1")
        return build_seat_map(
            layout_id=layout_id,
            focal_point=focal_point_of(layout.focal_x, layout.focal_y),
            sections=sections,
            blocks=blocks,
            seats=SeatColumns(*columns),
        )


class SeatMapCache:
    """Per-process memory of event contexts and active layouts' seat maps (bounded, LRU)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_layouts: int = 16) -> None:
        self._sessions = sessions
        self._max_layouts = max_layouts
        self._layouts: OrderedDict[uuid.UUID, LayoutSeatMap] = OrderedDict()
        self._events: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None]] = {}
        self._loading: dict[uuid.UUID, asyncio.Lock] = {}

    async def event(self, organization_id: uuid.UUID, event_id: uuid.UUID) -> EventContext:
        """The event's context; NotFound if it does not exist or is another tenant's."""
        owner, layout_id = await self._event_row(event_id)
        if owner != organization_id:
            raise NotFound("event not found")
        seat_map = await self.layout(layout_id) if layout_id is not None else None
        return EventContext(organization_id, event_id, layout_id, seat_map)

    async def event_owner(self, event_id: uuid.UUID) -> uuid.UUID:
        """The organisation of an event (for public stream tokens); NotFound if none."""
        return (await self._event_row(event_id))[0]

    async def _event_row(self, event_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID | None]:
        known = self._events.get(event_id)
        if known is None:
            async with self._sessions() as session:
                row = (
                    await session.execute(
                        sa.select(Event.organization_id, Event.layout_id).where(
                            Event.id == event_id
                        )
                    )
                ).one_or_none()
            if row is None:
                raise NotFound("event not found")
            known = self._events[event_id] = (row.organization_id, row.layout_id)
        return known

    async def layout(self, layout_id: uuid.UUID) -> LayoutSeatMap:
        seat_map = self._layouts.get(layout_id)
        if seat_map is not None:
            self._layouts.move_to_end(layout_id)
            return seat_map
        lock = self._loading.setdefault(layout_id, asyncio.Lock())
        async with lock:  # one load per layout, however many requests arrive at once
            seat_map = self._layouts.get(layout_id)
            if seat_map is None:
                async with self._sessions() as session:
                    status = await session.scalar(
                        sa.select(Layout.status).where(Layout.id == layout_id)
                    )
                    seat_map = await load_seat_map(session, layout_id)
                if status is LayoutStatus.DRAFT:
                    return seat_map  # a draft may still change: never kept
                self._layouts[layout_id] = seat_map
                while len(self._layouts) > self._max_layouts:
                    self._layouts.popitem(last=False)
        return seat_map
