"""Conditional writes to ``event_standing_areas``: counts move in one statement each, and the
table's CHECK keeps them within capacity and never negative."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.repositories.holds import AREA_COLUMNS, AreaRow
from voelgoedevents.adapters.database.tables import EventStandingArea

_AREAS = table_of(EventStandingArea)


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
            .returning(*AREA_COLUMNS)
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
            .returning(*AREA_COLUMNS)
        )
    ).one()
    return AreaRow(*row)
