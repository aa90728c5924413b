"""create_seat_holds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 04:37:15.045284
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_holds",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("holder_ref", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "expired",
                "converted",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "web",
                "scanner",
                "backoffice",
                name="source",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_type_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("cancellation_reason", sa.String(length=100), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'converted' OR order_id IS NOT NULL",
            name=op.f("ck_seat_holds_converted_order"),
        ),
        sa.CheckConstraint(
            "(section_id IS NULL AND ticket_type_id IS NULL AND quantity = 0 AND seat_count > 0) OR (section_id IS NOT NULL AND ticket_type_id IS NULL AND quantity > 0) OR (section_id IS NULL AND ticket_type_id IS NOT NULL AND quantity > 0)",
            name=op.f("ck_seat_holds_seats_or_quantity"),
        ),
        sa.CheckConstraint(
            "extension_count >= 0", name=op.f("ck_seat_holds_extension_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_seat_holds_event_id_events"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id", "organization_id"],
            ["orders.id", "orders.organization_id"],
            name=op.f("fk_seat_holds_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_seat_holds_section_id_sections")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"],
            ["ticket_types.id"],
            name=op.f("fk_seat_holds_ticket_type_id_ticket_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_holds")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_seat_holds_id_organization_id")),
        sa.UniqueConstraint(
            "organization_id",
            "idempotency_key",
            name=op.f("uq_seat_holds_organization_id_idempotency_key"),
        ),
    )
    op.create_index(
        "ix_seat_holds_event_id_status", "seat_holds", ["event_id", "status"], unique=False
    )
    op.create_index(
        "ix_seat_holds_status_held_until", "seat_holds", ["status", "held_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_seat_holds_status_held_until", table_name="seat_holds")
    op.drop_index("ix_seat_holds_event_id_status", table_name="seat_holds")
    op.drop_table("seat_holds")
