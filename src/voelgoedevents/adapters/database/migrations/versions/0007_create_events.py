"""create_events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 04:37:09.564340
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("layout_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "live",
                "ended",
                "cancelled",
                "postponed",
                "archived",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sale_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sale_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rescheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_events_capacity_not_negative")),
        sa.CheckConstraint(
            "sale_start_at IS NULL OR sale_end_at IS NULL OR sale_start_at < sale_end_at",
            name=op.f("ck_events_sale_window_ordered"),
        ),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_events_starts_before_end")),
        sa.ForeignKeyConstraint(
            ["layout_id", "venue_id", "organization_id"],
            ["layouts.id", "layouts.venue_id", "layouts.organization_id"],
            name=op.f("fk_events_layout_id_layouts"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id", "organization_id"],
            ["venues.id", "venues.organization_id"],
            name=op.f("fk_events_venue_id_venues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "id",
            "layout_id",
            "organization_id",
            name=op.f("uq_events_id_layout_id_organization_id"),
        ),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_events_id_organization_id")),
    )
    op.create_index("ix_events_layout_id", "events", ["layout_id"], unique=False)
    op.create_index(
        "ix_events_organization_id_start_at",
        "events",
        ["organization_id", "start_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_events_organization_id_start_at", table_name="events")
    op.drop_index("ix_events_layout_id", table_name="events")
    op.drop_table("events")
