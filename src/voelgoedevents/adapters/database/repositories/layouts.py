"""Layouts and their structure: writing a whole document in bulk, reading it back as one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import new_id, table_of
from voelgoedevents.adapters.database.bulk import insert_rows
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Block, Layout, Seat, Section
from voelgoedevents.domain.seating.block import BlockSpec
from voelgoedevents.domain.seating.layout import LayoutDocument, LayoutStatus
from voelgoedevents.domain.seating.seat import Point, SeatSpec
from voelgoedevents.domain.seating.section import SectionSpec

# Seat rows per batch: large enough to amortise round trips, small enough to bound memory.
SEAT_BATCH = 10_000

_SEATS = table_of(Seat)
_BLOCKS = table_of(Block)
_SECTIONS = table_of(Section)


async def get_layout(
    session: AsyncSession, organization_id: uuid.UUID, layout_id: uuid.UUID, *, lock: bool = False
) -> Layout:
    return await get_owned(
        session, Layout, organization_id, layout_id, what="layout", for_update=lock
    )


async def insert_layout(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID,
    document: LayoutDocument,
    now: datetime,
    lineage_id: uuid.UUID | None = None,
    version: int = 1,
) -> Layout:
    """A new draft layout with the document's whole structure."""
    layout_id = new_id()
    layout = Layout(
        id=layout_id,
        organization_id=organization_id,
        venue_id=venue_id,
        status=LayoutStatus.DRAFT,
        version=version,
        lineage_id=lineage_id or layout_id,
        created_at=now,
        updated_at=now,
    )
    set_header(layout, document)
    session.add(layout)
    await session.flush()
    await insert_structure(session, layout=layout, document=document, now=now)
    return layout


def set_header(layout: Layout, document: LayoutDocument) -> None:
    """The layout row's share of the document (its sections, blocks and seats are rows of their
    own: :func:`insert_structure`)."""
    layout.name = document.name
    layout.description = document.description
    layout.total_capacity = document.total_capacity
    layout.seat_count = document.seat_count
    focal = document.focal_point
    layout.focal_x, layout.focal_y = (focal.x, focal.y) if focal else (None, None)
    layout.metadata_ = dict(document.metadata)


async def insert_structure(
    session: AsyncSession, *, layout: Layout, document: LayoutDocument, now: datetime
) -> None:
    """Sections, blocks and seats in document order; each seat's dense index is its position."""
    common = {
        "organization_id": layout.organization_id,
        "layout_id": layout.id,
        "created_at": now,
        "updated_at": now,
    }
    section_rows: list[dict[str, Any]] = []
    block_rows: list[dict[str, Any]] = []
    block_ids: list[list[tuple[uuid.UUID, uuid.UUID]]] = []  # per section: (section_id, block_id)
    for section_position, section in enumerate(document.sections):
        section_id = new_id()
        section_rows.append(_section_row(section, section_position, section_id, common))
        ids = []
        for block_position, block in enumerate(section.blocks):
            block_id = new_id()
            block_rows.append(_block_row(block, block_position, section_id, block_id, common))
            ids.append((section_id, block_id))
        block_ids.append(ids)
    await session.execute(sa.insert(_SECTIONS), section_rows)
    if block_rows:
        await session.execute(sa.insert(_BLOCKS), block_rows)
    seat_rows = _seat_rows(document, block_ids, common)
    while batch := list(islice(seat_rows, SEAT_BATCH)):
        await insert_rows(session, _SEATS, batch)
    await _link_companions(session, layout.id, document.companion_links())


def _section_row(
    section: SectionSpec, position: int, section_id: uuid.UUID, common: dict[str, Any]
) -> dict[str, Any]:
    return {
        **common,
        "id": section_id,
        "position": position,
        "name": section.name,
        "section_type": section.type.value,
        "capacity": section.capacity,
        "price_tier": section.price_tier,
        **focal_columns(section.focal_point),
        "metadata": dict(section.metadata),
    }


def focal_columns(point: Point | None) -> dict[str, float | None]:
    """A focal point as its two columns (both NULL when there is none)."""
    if point is None:
        return {"focal_x": None, "focal_y": None}
    return {"focal_x": point.x, "focal_y": point.y}


def focal_point_of(x: float | None, y: float | None) -> Point | None:
    return None if x is None or y is None else Point.model_construct(x=x, y=y)


def _block_row(
    block: BlockSpec,
    position: int,
    section_id: uuid.UUID,
    block_id: uuid.UUID,
    common: dict[str, Any],
) -> dict[str, Any]:
    return {
        **common,
        "id": block_id,
        "section_id": section_id,
        "position": position,
        "name": block.name,
        "capacity": block.capacity,
        "metadata": dict(block.metadata),
    }


def _seat_rows(
    document: LayoutDocument,
    block_ids: list[list[tuple[uuid.UUID, uuid.UUID]]],
    common: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    for section_position, block_position, index, seat in document.indexed_seats():
        section_id, block_id = block_ids[section_position][block_position]
        yield {
            **common,
            "id": new_id(),
            "section_id": section_id,
            "block_id": block_id,
            "seat_index": index,
            "row": seat.row,
            "number": seat.number,
            "x": seat.x,
            "y": seat.y,
            "category": seat.category.value,
            "status": seat.status.value,
            "rank": seat.rank,
            "aisle_before": seat.aisle_before,
            "aisle_after": seat.aisle_after,
            "companion_of": None,  # set once every seat is in: see _link_companions
            "metadata": dict(seat.metadata),
        }


async def _link_companions(
    session: AsyncSession, layout_id: uuid.UUID, links: dict[int, int]
) -> None:
    """Companion seats point at their wheelchair spaces once both are written: a batch may hold
    a companion before its space, and a deferred key would leave SQLite's transaction open
    after a refused COMMIT. A layout has a handful of these; one statement sets them all."""
    if not links:
        return
    await session.execute(
        sa.update(_SEATS)
        .where(_SEATS.c.layout_id == layout_id, _SEATS.c.seat_index == sa.bindparam("companion"))
        .values(companion_of=sa.bindparam("space"))
        .execution_options(synchronize_session=False),
        [{"companion": companion, "space": space} for companion, space in links.items()],
    )


async def delete_structure(session: AsyncSession, layout: Layout) -> None:
    """Remove a draft's sections; blocks and seats go with them (ON DELETE CASCADE)."""
    await session.execute(
        sa.delete(_SECTIONS).where(
            _SECTIONS.c.layout_id == layout.id,
            _SECTIONS.c.organization_id == layout.organization_id,
        )
    )


async def load_document(session: AsyncSession, layout: Layout) -> LayoutDocument:
    """The layout as a document, in the order it was written (so seat indexes line up)."""
    sections = (
        await session.execute(
            sa.select(_SECTIONS).where(_SECTIONS.c.layout_id == layout.id).order_by("position")
        )
    ).all()
    blocks = (
        await session.execute(
            sa.select(_BLOCKS).where(_BLOCKS.c.layout_id == layout.id).order_by("position")
        )
    ).all()
    seats_by_block = await _load_seats(session, layout, [block.id for block in blocks])
    blocks_by_section: dict[uuid.UUID, list[BlockSpec]] = {section.id: [] for section in sections}
    for block in blocks:
        blocks_by_section[block.section_id].append(
            BlockSpec.model_construct(
                name=block.name,
                capacity=block.capacity,
                metadata=block.metadata,
                seats=seats_by_block[block.id],
            )
        )
    return LayoutDocument.model_construct(
        name=layout.name,
        description=layout.description,
        total_capacity=layout.total_capacity,
        focal_point=focal_point_of(layout.focal_x, layout.focal_y),
        metadata=layout.metadata_,
        sections=[
            SectionSpec.model_construct(
                name=section.name,
                type=section.section_type,
                capacity=section.capacity,
                price_tier=section.price_tier,
                focal_point=focal_point_of(section.focal_x, section.focal_y),
                metadata=section.metadata,
                blocks=blocks_by_section[section.id],
            )
            for section in sections
        ],
    )


async def _load_seats(
    session: AsyncSession, layout: Layout, block_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[SeatSpec]]:
    """Each block's seats in index order. A wheelchair space lists its companions in seat
    order: the order a document named them in is not kept."""
    seats = (
        await session.execute(
            sa.select(
                _SEATS.c.seat_index,
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
                _SEATS.c.metadata,
            )
            .where(_SEATS.c.layout_id == layout.id)
            .order_by(_SEATS.c.seat_index)
        )
    ).all()
    companions: dict[int, list[str]] = {}
    for seat in seats:
        if seat.companion_of is not None:
            companions.setdefault(seat.companion_of, []).append(seat.number)
    seats_by_block: dict[uuid.UUID, list[SeatSpec]] = {block_id: [] for block_id in block_ids}
    for seat in seats:
        seats_by_block[seat.block_id].append(
            # Read back from constrained columns: validating again would only cost time.
            SeatSpec.model_construct(
                row=seat.row,
                number=seat.number,
                x=seat.x,
                y=seat.y,
                category=seat.category,
                status=seat.status,
                rank=seat.rank,
                aisle_before=seat.aisle_before,
                aisle_after=seat.aisle_after,
                companions=tuple(companions.get(seat.seat_index, ())),
                metadata=seat.metadata,
            )
        )
    return seats_by_block


async def lock_lineage(session: AsyncSession, lineage_id: uuid.UUID) -> None:
    """Hold the lineage's first layout (its id is the lineage id) until commit: whoever numbers
    the next version waits here for the one before to commit."""
    await session.execute(sa.select(Layout.id).where(Layout.id == lineage_id).with_for_update())


async def next_version(session: AsyncSession, lineage_id: uuid.UUID) -> int:
    latest = await session.scalar(
        sa.select(sa.func.max(Layout.version)).where(Layout.lineage_id == lineage_id)
    )
    return int(latest or 0) + 1


async def has_price_tier(session: AsyncSession, layout_id: uuid.UUID, tier: str | None) -> bool:
    """Whether some section of the layout has this price tier."""
    found = await session.scalar(
        sa.select(Section.id)
        .where(Section.layout_id == layout_id, Section.price_tier == tier)
        .limit(1)
    )
    return found is not None
