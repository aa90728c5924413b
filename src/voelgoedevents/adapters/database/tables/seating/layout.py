"""Layout: a venue's reusable seating plan (seed 8.1.1)."""

from __future__ import annotations

import uuid
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
from voelgoedevents.domain.seating.layout import LayoutStatus


class Layout(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "layouts"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["venue_id", "organization_id"],
            ["venues.id", "venues.organization_id"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("id", "organization_id"),
        sa.UniqueConstraint("id", "venue_id", "organization_id"),
        # All versions of one plan share a lineage; each version number once.
        sa.UniqueConstraint("lineage_id", "version"),
        sa.CheckConstraint("total_capacity >= 0", name="total_capacity_not_negative"),
        sa.CheckConstraint("seat_count >= 0", name="seat_count_not_negative"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("(focal_x IS NULL) = (focal_y IS NULL)", name="focal_point_whole"),
        sa.Index("ix_layouts_organization_id_venue_id", "organization_id", "venue_id"),
    )

    venue_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    total_capacity: Mapped[int] = mapped_column(default=0)
    seat_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[LayoutStatus] = mapped_column(
        enum_column(LayoutStatus, "status"), default=LayoutStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(default=1)
    lineage_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    focal_x: Mapped[float | None] = mapped_column(sa.Float)  # the focal point, both or neither
    focal_y: Mapped[float | None] = mapped_column(sa.Float)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
