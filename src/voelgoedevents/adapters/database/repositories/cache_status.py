"""Events whose cache copy may be behind the database."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.tables import EventCacheStatus
from voelgoedevents.domain.clock import Clock

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


class CacheMarks:
    """The stale marks, in the unit of work's transaction (``uow.cache_marks``)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stale(self) -> list[EventCacheStatus]:
        return await stale_events(self._session)

    async def clear(self, event_id: uuid.UUID, marked_at: datetime) -> None:
        await clear_stale(self._session, event_id, marked_at)


def stale_mark_writer(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> Callable[[uuid.UUID, uuid.UUID, str], Awaitable[None]]:
    """Writes one event's stale mark in a transaction of its own (the change that made the
    cache stale has committed already): for the cache sync, which the composition root gives it."""

    async def write(organization_id: uuid.UUID, event_id: uuid.UUID, reason: str) -> None:
        async with sessions() as session:
            await mark_stale(
                session,
                organization_id=organization_id,
                event_id=event_id,
                reason=reason,
                now=clock(),
            )
            await session.commit()

    return write
