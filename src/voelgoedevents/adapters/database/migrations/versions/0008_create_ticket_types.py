"""create_ticket_types

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 04:37:11.354816
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_types",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ga", "seated", name="kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("price_tier", sa.String(length=50), nullable=True),
        sa.Column("total_quantity", sa.Integer(), nullable=False),
        sa.Column("sold_count", sa.Integer(), nullable=False),
        sa.Column("held_count", sa.Integer(), nullable=False),
        sa.Column("sale_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sale_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "archived",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'seated' OR price_tier IS NOT NULL",
            name=op.f("ck_ticket_types_seated_has_price_tier"),
        ),
        sa.CheckConstraint("held_count >= 0", name=op.f("ck_ticket_types_held_count_not_negative")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_ticket_types_currency_iso_code")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_ticket_types_price_not_negative")),
        sa.CheckConstraint(
            "sale_start_at IS NULL OR sale_end_at IS NULL OR sale_start_at < sale_end_at",
            name=op.f("ck_ticket_types_sale_window_ordered"),
        ),
        sa.CheckConstraint(
            "sold_count + held_count <= total_quantity", name=op.f("ck_ticket_types_not_oversold")
        ),
        sa.CheckConstraint("sold_count >= 0", name=op.f("ck_ticket_types_sold_count_not_negative")),
        sa.CheckConstraint(
            "total_quantity >= 0", name=op.f("ck_ticket_types_total_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_ticket_types_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
        sa.UniqueConstraint("event_id", "name", name=op.f("uq_ticket_types_event_id_name")),
    )


def downgrade() -> None:
    op.drop_table("ticket_types")
