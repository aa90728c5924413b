"""Events whose cache copy may be behind the database."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.tables import EventCacheStatus

_STATUS = table_of(EventCacheStatus)


async def mark_stale(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> None:
    """The mark carries the *latest* time: a rebuild clears it only if no mark came after the
    rebuild read it, so a change that failed during a rebuild is never forgotten."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_STATUS).values(
        event_id=event_id, organization_id=organization_id, stale_since=now, reason=reason[:200]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["event_id"],
            set_={
                "stale_since": statement.excluded.stale_since,
                "reason": statement.excluded.reason,
            },
        )
    )


async def stale_events(session: AsyncSession) -> list[EventCacheStatus]:
    return list(await session.scalars(sa.select(EventCacheStatus)))


async def clear_stale(session: AsyncSession, event_id: uuid.UUID, marked_at: datetime) -> None:
    """Only the mark the rebuild started from: a newer one means the rebuild may have missed it."""
    await session.execute(
        sa.delete(_STATUS).where(_STATUS.c.event_id == event_id, _STATUS.c.stale_since == marked_at)
    )
