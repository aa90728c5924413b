"""create_sections

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:37:03.808234
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sections",
        sa.Column("layout_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "section_type",
            sa.Enum(
                "seated", "standing", name="section_type", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("price_tier", sa.String(length=50), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_sections_capacity_not_negative")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_sections_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["layout_id", "organization_id"],
            ["layouts.id", "layouts.organization_id"],
            name=op.f("fk_sections_layout_id_layouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint(
            "id",
            "layout_id",
            "organization_id",
            name=op.f("uq_sections_id_layout_id_organization_id"),
        ),
        sa.UniqueConstraint("layout_id", "name", name=op.f("uq_sections_layout_id_name")),
        sa.UniqueConstraint("layout_id", "position", name=op.f("uq_sections_layout_id_position")),
    )


def downgrade() -> None:
    op.drop_table("sections")
