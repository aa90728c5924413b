"""create_seats

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:37:07.756465
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seats",
        sa.Column("layout_id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("block_id", sa.Uuid(), nullable=False),
        sa.Column("seat_index", sa.Integer(), nullable=False),
        sa.Column("row", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "standard",
                "wheelchair",
                "companion",
                "restricted_view",
                "aisle",
                name="category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "available", "blocked", name="status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seat_index >= 0", name=op.f("ck_seats_seat_index_not_negative")),
        sa.ForeignKeyConstraint(
            ["block_id", "section_id", "layout_id", "organization_id"],
            ["blocks.id", "blocks.section_id", "blocks.layout_id", "blocks.organization_id"],
            name=op.f("fk_seats_block_id_blocks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint(
            "id", "layout_id", "organization_id", name=op.f("uq_seats_id_layout_id_organization_id")
        ),
        sa.UniqueConstraint("layout_id", "seat_index", name=op.f("uq_seats_layout_id_seat_index")),
        sa.UniqueConstraint(
            "section_id", "row", "number", name=op.f("uq_seats_section_id_row_number")
        ),
    )
    op.create_index("ix_seats_block_id", "seats", ["block_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_seats_block_id", table_name="seats")
    op.drop_table("seats")
