"""Events whose Redis structures may be behind the database and must be rebuilt.

A writer whose Redis update failed after its commit records the event here; every process stops
trusting Redis for that event until the sweeper has rebuilt it. Kept apart from ``events`` so
marking never waits on the row locks that reserves take on the event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import Base, TenantOwned


class EventCacheStatus(TenantOwned, Base):
    __tablename__ = "event_cache_status"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            ondelete="CASCADE",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    stale_since: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(200))
