"""Seat: one seat of a layout, with its dense index, position and category (seed 8.2.2).

``seat_index`` (0 .. n-1 within the layout) is the seat's bit offset in every per-event bitmap;
it is assigned at import and never changes while the layout lives. ``status`` is the layout-wide
state (``available`` or ``blocked``); held and sold are per event, in ``event_seats``.

What seat selection reads for every seat of a map is a column, not a key of ``metadata``: a
100,000-seat map is read without decoding any JSON. ``companion_of`` is the ``seat_index`` of
the wheelchair space that names this seat as its companion, in the same layout.
"""

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
from voelgoedevents.domain.seating.seat import LayoutSeatStatus, SeatCategory


class Seat(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "seats"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["block_id", "section_id", "layout_id", "organization_id"],
            ["blocks.id", "blocks.section_id", "blocks.layout_id", "blocks.organization_id"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("id", "layout_id", "organization_id"),
        sa.UniqueConstraint("section_id", "row", "number"),
        sa.UniqueConstraint("layout_id", "seat_index"),
        sa.ForeignKeyConstraint(
            ["companion_of", "layout_id"], ["seats.seat_index", "seats.layout_id"]
        ),
        sa.CheckConstraint("seat_index >= 0", name="seat_index_not_negative"),
        sa.Index("ix_seats_block_id", "block_id"),
    )

    layout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    section_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    block_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    seat_index: Mapped[int] = mapped_column()
    row: Mapped[str] = mapped_column(sa.String(16))
    number: Mapped[str] = mapped_column(sa.String(16))
    x: Mapped[float] = mapped_column(sa.Float)
    y: Mapped[float] = mapped_column(sa.Float)
    category: Mapped[SeatCategory] = mapped_column(
        enum_column(SeatCategory, "category"), default=SeatCategory.STANDARD
    )
    status: Mapped[LayoutSeatStatus] = mapped_column(
        enum_column(LayoutSeatStatus, "status"), default=LayoutSeatStatus.AVAILABLE
    )
    rank: Mapped[float | None] = mapped_column(sa.Float)
    aisle_before: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    aisle_after: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    companion_of: Mapped[int | None] = mapped_column()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
