"""Block: a group of seats within a seated section, "Row A" or "Block 101" (seed 8.2.1)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import Base, Identified, TenantOwned, Timestamped


class Block(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "blocks"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["section_id", "layout_id", "organization_id"],
            ["sections.id", "sections.layout_id", "sections.organization_id"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("id", "section_id", "layout_id", "organization_id"),
        sa.UniqueConstraint("section_id", "name"),
        sa.UniqueConstraint("section_id", "position"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
        sa.Index("ix_blocks_layout_id", "layout_id"),
    )

    layout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    section_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    capacity: Mapped[int] = mapped_column()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
