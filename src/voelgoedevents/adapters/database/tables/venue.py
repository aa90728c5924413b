"""A venue: a place with one or more layouts."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import (
    Base,
    Identified,
    TenantOwned,
    Timestamped,
    enum_column,
)


class VenueStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Venue(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "venues"
    __table_args__ = (
        sa.UniqueConstraint("id", "organization_id"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.Index("ix_venues_organization_id_name", "organization_id", "name"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(100), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Africa/Johannesburg")
    capacity: Mapped[int] = mapped_column(default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[VenueStatus] = mapped_column(
        enum_column(VenueStatus, "status"), default=VenueStatus.ACTIVE
    )
