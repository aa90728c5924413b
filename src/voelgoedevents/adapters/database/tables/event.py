"""Events and their ticket types (the Phase 3 resources the seating engine stands on)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
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
from voelgoedevents.domain.events.event import EventStatus
from voelgoedevents.domain.events.ticket_type import TicketKind, TicketTypeStatus


class Event(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["venue_id", "organization_id"], ["venues.id", "venues.organization_id"]
        ),
        # The layout must be one of the same venue and organisation.
        sa.ForeignKeyConstraint(
            ["layout_id", "venue_id", "organization_id"],
            ["layouts.id", "layouts.venue_id", "layouts.organization_id"],
        ),
        sa.UniqueConstraint("id", "organization_id"),
        sa.UniqueConstraint("id", "layout_id", "organization_id"),
        sa.CheckConstraint("start_at < end_at", name="starts_before_end"),
        sa.CheckConstraint(
            "sale_start_at IS NULL OR sale_end_at IS NULL OR sale_start_at < sale_end_at",
            name="sale_window_ordered",
        ),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.Index("ix_events_organization_id_start_at", "organization_id", "start_at"),
        sa.Index("ix_events_layout_id", "layout_id"),
    )

    venue_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    layout_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)  # none: general admission only
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "status"), default=EventStatus.DRAFT
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    sale_start_at: Mapped[datetime | None]
    sale_end_at: Mapped[datetime | None]
    rescheduled_at: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(default=0)
    # Per-event seating policy overrides (hold time, seats per booking), checked in the domain.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TicketType(Identified, TenantOwned, Timestamped, Base):
    __tablename__ = "ticket_types"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("total_quantity >= 0", name="total_quantity_not_negative"),
        sa.CheckConstraint("sold_count >= 0", name="sold_count_not_negative"),
        sa.CheckConstraint("held_count >= 0", name="held_count_not_negative"),
        sa.CheckConstraint("sold_count + held_count <= total_quantity", name="not_oversold"),
        sa.CheckConstraint(
            "kind <> 'seated' OR price_tier IS NOT NULL", name="seated_has_price_tier"
        ),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso_code"),
        sa.CheckConstraint(
            "sale_start_at IS NULL OR sale_end_at IS NULL OR sale_start_at < sale_end_at",
            name="sale_window_ordered",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    name: Mapped[str] = mapped_column(sa.String(200))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str] = mapped_column(sa.String(3), default="ZAR")
    kind: Mapped[TicketKind] = mapped_column(enum_column(TicketKind, "kind"))
    price_tier: Mapped[str | None] = mapped_column(sa.String(50))
    total_quantity: Mapped[int] = mapped_column(default=0)
    sold_count: Mapped[int] = mapped_column(default=0)
    held_count: Mapped[int] = mapped_column(default=0)
    sale_start_at: Mapped[datetime | None]
    sale_end_at: Mapped[datetime | None]
    status: Mapped[TicketTypeStatus] = mapped_column(
        enum_column(TicketTypeStatus, "status"), default=TicketTypeStatus.ACTIVE
    )
