"""create_blocks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 04:37:05.729710
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("layout_id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_blocks_capacity_not_negative")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_blocks_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["section_id", "layout_id", "organization_id"],
            ["sections.id", "sections.layout_id", "sections.organization_id"],
            name=op.f("fk_blocks_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
        sa.UniqueConstraint(
            "id",
            "section_id",
            "layout_id",
            "organization_id",
            name=op.f("uq_blocks_id_section_id_layout_id_organization_id"),
        ),
        sa.UniqueConstraint("section_id", "name", name=op.f("uq_blocks_section_id_name")),
        sa.UniqueConstraint("section_id", "position", name=op.f("uq_blocks_section_id_position")),
    )
    op.create_index("ix_blocks_layout_id", "blocks", ["layout_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_blocks_layout_id", table_name="blocks")
    op.drop_table("blocks")
