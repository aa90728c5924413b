"""create_event_seats

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 04:37:16.666565
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_seats",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("layout_id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("block_id", sa.Uuid(), nullable=False),
        sa.Column("seat_index", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "held",
                "sold",
                "blocked",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(status = 'held' AND hold_id IS NOT NULL AND held_until IS NOT NULL AND order_id IS NULL) OR (status = 'sold' AND order_id IS NOT NULL AND hold_id IS NULL AND held_until IS NULL) OR (status IN ('available', 'blocked') AND hold_id IS NULL AND order_id IS NULL AND held_until IS NULL)",
            name=op.f("ck_event_seats_owner_matches_status"),
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_event_seats_version_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id", "layout_id", "organization_id"],
            ["events.id", "events.layout_id", "events.organization_id"],
            name=op.f("fk_event_seats_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["seat_holds.id"], name=op.f("fk_event_seats_hold_id_seat_holds")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_event_seats_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["seat_id", "layout_id", "organization_id"],
            ["seats.id", "seats.layout_id", "seats.organization_id"],
            name=op.f("fk_event_seats_seat_id_seats"),
        ),
        sa.PrimaryKeyConstraint("event_id", "seat_id", name=op.f("pk_event_seats")),
        sa.UniqueConstraint(
            "event_id", "seat_index", name=op.f("uq_event_seats_event_id_seat_index")
        ),
    )
    op.create_index(
        "ix_event_seats_hold_id",
        "event_seats",
        ["hold_id"],
        unique=False,
        postgresql_where=sa.text("hold_id IS NOT NULL"),
        sqlite_where=sa.text("hold_id IS NOT NULL"),
    )
    op.create_index(
        "ix_event_seats_order_id",
        "event_seats",
        ["order_id"],
        unique=False,
        postgresql_where=sa.text("order_id IS NOT NULL"),
        sqlite_where=sa.text("order_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_event_seats_order_id",
        table_name="event_seats",
        postgresql_where=sa.text("order_id IS NOT NULL"),
        sqlite_where=sa.text("order_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_event_seats_hold_id",
        table_name="event_seats",
        postgresql_where=sa.text("hold_id IS NOT NULL"),
        sqlite_where=sa.text("hold_id IS NOT NULL"),
    )
    op.drop_table("event_seats")
