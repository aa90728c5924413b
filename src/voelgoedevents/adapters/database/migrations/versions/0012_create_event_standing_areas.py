"""create_event_standing_areas

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 04:37:18.235765
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_standing_areas",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("held_count", sa.Integer(), nullable=False),
        sa.Column("sold_count", sa.Integer(), nullable=False),
        sa.Column("blocked_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "capacity >= 0", name=op.f("ck_event_standing_areas_capacity_not_negative")
        ),
        sa.CheckConstraint(
            "held_count + sold_count + blocked_count <= capacity",
            name=op.f("ck_event_standing_areas_not_oversold"),
        ),
        sa.CheckConstraint(
            "held_count >= 0 AND sold_count >= 0 AND blocked_count >= 0",
            name=op.f("ck_event_standing_areas_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_event_standing_areas_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_event_standing_areas_section_id_sections"),
        ),
        sa.PrimaryKeyConstraint("event_id", "section_id", name=op.f("pk_event_standing_areas")),
    )


def downgrade() -> None:
    op.drop_table("event_standing_areas")
