"""Per-event inventory, holds, orders and the audit trail: the tables of the hold engine.

Every state is written with conditional updates (the row's ``status`` and ``version`` must still
be what the workflow saw), so two writers can never both win, whatever the cache says.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import (
    Base,
    Identified,
    TenantOwned,
    Timestamped,
    enum_column,
    utcnow,
)
from voelgoedevents.domain.ticketing.states import HoldSource, HoldStatus, OrderStatus, SeatState


class Order(Identified, TenantOwned, Timestamped, Base):
    """Minimal checkout: the hold(s) it converted, the seats or places it owns."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"], ["events.id", "events.organization_id"]
        ),
        sa.UniqueConstraint("id", "organization_id"),
        sa.CheckConstraint("seat_count >= 0", name="seat_count_not_negative"),
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.Index("ix_orders_event_id", "event_id"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    holder_ref: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "status"), default=OrderStatus.COMPLETED
    )
    seat_count: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[int] = mapped_column(default=0)  # standing places or GA tickets
    total_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    cancellation_reason: Mapped[str | None] = mapped_column(sa.String(100))


class SeatHold(Identified, TenantOwned, Timestamped, Base):
    """One hold token: several seats, or a quantity of a standing section or GA ticket type,
    taken all together or not at all."""

    __tablename__ = "seat_holds"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"], ["events.id", "events.organization_id"]
        ),
        sa.ForeignKeyConstraint(["section_id"], ["sections.id"]),
        sa.ForeignKeyConstraint(["ticket_type_id"], ["ticket_types.id"]),
        sa.ForeignKeyConstraint(
            ["order_id", "organization_id"], ["orders.id", "orders.organization_id"]
        ),
        sa.UniqueConstraint("id", "organization_id"),
        # A retry with the same key finds the first hold instead of making a second.
        sa.UniqueConstraint("organization_id", "idempotency_key"),
        sa.CheckConstraint(
            "(section_id IS NULL AND ticket_type_id IS NULL AND quantity = 0 AND seat_count > 0)"
            " OR (section_id IS NOT NULL AND ticket_type_id IS NULL AND quantity > 0)"
            " OR (section_id IS NULL AND ticket_type_id IS NOT NULL AND quantity > 0)",
            name="seats_or_quantity",
        ),
        sa.CheckConstraint("status <> 'converted' OR order_id IS NOT NULL", name="converted_order"),
        sa.CheckConstraint("extension_count >= 0", name="extension_count_not_negative"),
        sa.Index("ix_seat_holds_status_held_until", "status", "held_until"),
        sa.Index("ix_seat_holds_event_id_status", "event_id", "status"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    holder_ref: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[HoldStatus] = mapped_column(
        enum_column(HoldStatus, "status"), default=HoldStatus.ACTIVE
    )
    source: Mapped[HoldSource] = mapped_column(
        enum_column(HoldSource, "source"), default=HoldSource.WEB
    )
    held_until: Mapped[datetime]
    seat_count: Mapped[int] = mapped_column(default=0)
    section_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    quantity: Mapped[int] = mapped_column(default=0)
    extension_count: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    cancellation_reason: Mapped[str | None] = mapped_column(sa.String(100))
    order_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    version: Mapped[int] = mapped_column(default=0)


class EventSeat(TenantOwned, Base):
    """The state of one seat in one event, with its owner and a version (the fencing value)."""

    __tablename__ = "event_seats"
    __table_args__ = (
        # Both foreign keys carry layout_id: the seat must be of the event's own layout.
        sa.ForeignKeyConstraint(
            ["event_id", "layout_id", "organization_id"],
            ["events.id", "events.layout_id", "events.organization_id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seat_id", "layout_id", "organization_id"],
            ["seats.id", "seats.layout_id", "seats.organization_id"],
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["seat_holds.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.UniqueConstraint("event_id", "seat_index"),
        # Exactly one owner, and only in the states that have one.
        sa.CheckConstraint(
            "(status = 'held' AND hold_id IS NOT NULL AND held_until IS NOT NULL"
            " AND order_id IS NULL)"
            " OR (status = 'sold' AND order_id IS NOT NULL AND hold_id IS NULL"
            " AND held_until IS NULL)"
            " OR (status IN ('available', 'blocked') AND hold_id IS NULL AND order_id IS NULL"
            " AND held_until IS NULL)",
            name="owner_matches_status",
        ),
        sa.CheckConstraint("version >= 0", name="version_not_negative"),
        sa.Index(
            "ix_event_seats_hold_id",
            "hold_id",
            postgresql_where=sa.text("hold_id IS NOT NULL"),
            sqlite_where=sa.text("hold_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_event_seats_order_id",
            "order_id",
            postgresql_where=sa.text("order_id IS NOT NULL"),
            sqlite_where=sa.text("order_id IS NOT NULL"),
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seat_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    layout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    section_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    block_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    seat_index: Mapped[int] = mapped_column()
    status: Mapped[SeatState] = mapped_column(
        enum_column(SeatState, "status"), default=SeatState.AVAILABLE
    )
    hold_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    order_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    held_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EventStandingArea(TenantOwned, Base):
    """A standing section in one event: places held, sold and blocked against its capacity."""

    __tablename__ = "event_standing_areas"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["section_id"], ["sections.id"]),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(
            "held_count >= 0 AND sold_count >= 0 AND blocked_count >= 0", name="counts_not_negative"
        ),
        sa.CheckConstraint(
            "held_count + sold_count + blocked_count <= capacity", name="not_oversold"
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    section_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    capacity: Mapped[int] = mapped_column()
    held_count: Mapped[int] = mapped_column(default=0)
    sold_count: Mapped[int] = mapped_column(default=0)
    blocked_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SeatStateChange(TenantOwned, Base):
    """The audit trail: every inventory change, written in the same transaction as the change."""

    __tablename__ = "seat_state_changes"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_seat_state_changes_event_id_seat_id", "event_id", "seat_id"),
        sa.Index("ix_seat_state_changes_hold_id", "hold_id"),
        sa.Index("ix_seat_state_changes_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    seat_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)  # none for standing / GA places
    section_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    quantity: Mapped[int] = mapped_column(default=1)
    from_state: Mapped[SeatState] = mapped_column(enum_column(SeatState, "from_state"))
    to_state: Mapped[SeatState] = mapped_column(enum_column(SeatState, "to_state"))
    hold_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    order_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    actor: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.String(100))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
