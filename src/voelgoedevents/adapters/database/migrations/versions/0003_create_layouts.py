"""create_layouts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:37:02.039412
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "layouts",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("total_capacity", sa.Integer(), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "archived",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lineage_id", sa.Uuid(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seat_count >= 0", name=op.f("ck_layouts_seat_count_not_negative")),
        sa.CheckConstraint(
            "total_capacity >= 0", name=op.f("ck_layouts_total_capacity_not_negative")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_layouts_version_positive")),
        sa.ForeignKeyConstraint(
            ["venue_id", "organization_id"],
            ["venues.id", "venues.organization_id"],
            name=op.f("fk_layouts_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layouts")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_layouts_id_organization_id")),
        sa.UniqueConstraint(
            "id", "venue_id", "organization_id", name=op.f("uq_layouts_id_venue_id_organization_id")
        ),
        sa.UniqueConstraint("lineage_id", "version", name=op.f("uq_layouts_lineage_id_version")),
    )
    op.create_index(
        "ix_layouts_organization_id_venue_id",
        "layouts",
        ["organization_id", "venue_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_layouts_organization_id_venue_id", table_name="layouts")
    op.drop_table("layouts")
