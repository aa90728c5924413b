"""The audit trail of inventory changes, read per event, seat or hold (the ledger writes it)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.tables import SeatStateChange


async def history(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    event_id: uuid.UUID | None = None,
    seat_id: uuid.UUID | None = None,
    hold_id: uuid.UUID | None = None,
    after: int = -1,
    limit: int,
) -> list[SeatStateChange]:
    """Oldest first (by id), from the first change after ``after``. Filtered by organisation
    like every read."""
    statement = sa.select(SeatStateChange).where(
        SeatStateChange.organization_id == organization_id, SeatStateChange.id > after
    )
    if event_id is not None:
        statement = statement.where(SeatStateChange.event_id == event_id)
    if seat_id is not None:
        statement = statement.where(SeatStateChange.seat_id == seat_id)
    if hold_id is not None:
        statement = statement.where(SeatStateChange.hold_id == hold_id)
    rows = await session.scalars(statement.order_by(SeatStateChange.id).limit(limit))
    return list(rows)
