"""A layout's seats by id and by index, its sections and blocks: read once per process.

An active layout's structure never changes (see ``domain/seating/layout.py``), so its map can be
kept in memory for the life of the process: a reserve resolves seat ids to bit indexes, sections,
blocks, rows and numbers without touching the database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from voelgoedevents.adapters.database.tables import Block, Event, Layout, Seat, Section
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.seating.seat import LayoutSeatStatus
from voelgoedevents.domain.seating.section import SectionType


@dataclass(frozen=True, slots=True)
class SeatInfo:
    seat_id: uuid.UUID
    index: int
    section_id: uuid.UUID
    block_id: uuid.UUID
    row: str
    number: str


@dataclass(frozen=True, slots=True)
class SectionInfo:
    id: uuid.UUID
    name: str
    type: SectionType
    capacity: int
    price_tier: str | None


@dataclass(frozen=True)
class LayoutSeatMap:
    layout_id: uuid.UUID
    seats: dict[uuid.UUID, SeatInfo]
    by_index: list[SeatInfo]
    sections: dict[uuid.UUID, SectionInfo]
    block_names: dict[uuid.UUID, str]
    blocked_in_layout: frozenset[uuid.UUID]

    @property
    def seat_count(self) -> int:
        return len(self.by_index)


@dataclass(frozen=True)
class EventContext:
    """The immutable facts about an event that the hot path needs."""

    organization_id: uuid.UUID
    event_id: uuid.UUID
    layout_id: uuid.UUID | None
    seat_map: LayoutSeatMap | None


async def load_seat_map(session: AsyncSession, layout_id: uuid.UUID) -> LayoutSeatMap:
    sections = {
        row.id: SectionInfo(row.id, row.name, row.section_type, row.capacity, row.price_tier)
        for row in await session.execute(
            sa.select(
                Section.id, Section.name, Section.section_type, Section.capacity, Section.price_tier
            ).where(Section.layout_id == layout_id)
        )
    }
    block_names = {
        row.id: row.name
        for row in await session.execute(
            sa.select(Block.id, Block.name).where(Block.layout_id == layout_id)
        )
    }
    by_index: list[SeatInfo] = []
    blocked: set[uuid.UUID] = set()
    rows = await session.execute(
        sa.select(
            Seat.id,
            Seat.seat_index,
            Seat.section_id,
            Seat.block_id,
            Seat.row,
            Seat.number,
            Seat.status,
        )
        .where(Seat.layout_id == layout_id)
        .order_by(Seat.seat_index)
    )
    for row in rows:
        by_index.append(
            SeatInfo(row.id, row.seat_index, row.section_id, row.block_id, row.row, row.number)
        )
        if row.status is LayoutSeatStatus.BLOCKED:
            blocked.add(row.id)
    return LayoutSeatMap(
        layout_id=layout_id,
        seats={seat.seat_id: seat for seat in by_index},
        by_index=by_index,
        sections=sections,
        block_names=block_names,
        blocked_in_layout=frozenset(blocked),
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
