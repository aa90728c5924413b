"""create_seat_state_changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 04:37:19.891419
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_state_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=True),
        sa.Column("section_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_type_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "available",
                "held",
                "sold",
                "blocked",
                name="from_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "available",
                "held",
                "sold",
                "blocked",
                name="to_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_seat_state_changes_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_seat_state_changes_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_state_changes")),
    )
    op.create_index(
        "ix_seat_state_changes_event_id_seat_id",
        "seat_state_changes",
        ["event_id", "seat_id"],
        unique=False,
    )
    op.create_index(
        "ix_seat_state_changes_hold_id", "seat_state_changes", ["hold_id"], unique=False
    )
    op.create_index(
        "ix_seat_state_changes_order_id", "seat_state_changes", ["order_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_seat_state_changes_order_id", table_name="seat_state_changes")
    op.drop_index("ix_seat_state_changes_hold_id", table_name="seat_state_changes")
    op.drop_index("ix_seat_state_changes_event_id_seat_id", table_name="seat_state_changes")
    op.drop_table("seat_state_changes")
