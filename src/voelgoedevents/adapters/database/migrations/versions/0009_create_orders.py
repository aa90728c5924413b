"""create_orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 04:37:13.319088
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("holder_ref", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "completed",
                "cancelled",
                "refunded",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_orders_quantity_not_negative")),
        sa.CheckConstraint("seat_count >= 0", name=op.f("ck_orders_seat_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_orders_event_id_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_orders_id_organization_id")),
    )
    op.create_index("ix_orders_event_id", "orders", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_event_id", table_name="orders")
    op.drop_table("orders")
