"""Events, for the workflows that change an event's own fields (its status, its dates)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Event


class Events:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, organization_id: uuid.UUID, event_id: uuid.UUID) -> Event:
        return await get_owned(self._session, Event, organization_id, event_id, what="event")

    async def lock(self, organization_id: uuid.UUID, event_id: uuid.UUID) -> Event:
        """Row-locked FOR NO KEY UPDATE: its own fields change, never its key, so holders'
        releases and the sweeper (whose audit rows' foreign key share-locks the event's key)
        are not held up and cannot deadlock with it."""
        return await get_owned(
            self._session,
            Event,
            organization_id,
            event_id,
            what="event",
            for_update=True,
            no_key=True,
        )
