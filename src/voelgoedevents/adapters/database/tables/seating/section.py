"""Section: a zone of a layout with a pricing tier, seated or standing (seed 8.1.2)."""

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
from voelgoedevents.domain.seating.section import SectionType


class Section(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "sections"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["layout_id", "organization_id"],
            ["layouts.id", "layouts.organization_id"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("id", "layout_id", "organization_id"),
        sa.UniqueConstraint("layout_id", "name"),
        sa.UniqueConstraint("layout_id", "position"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
        sa.CheckConstraint("(focal_x IS NULL) = (focal_y IS NULL)", name="focal_point_whole"),
    )

    layout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    position: Mapped[int] = mapped_column()  # order in the layout document
    name: Mapped[str] = mapped_column(sa.String(200))
    section_type: Mapped[SectionType] = mapped_column(enum_column(SectionType, "section_type"))
    capacity: Mapped[int] = mapped_column()
    price_tier: Mapped[str | None] = mapped_column(sa.String(50))
    focal_x: Mapped[float | None] = mapped_column(sa.Float)  # the focal point, both or neither
    focal_y: Mapped[float | None] = mapped_column(sa.Float)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
