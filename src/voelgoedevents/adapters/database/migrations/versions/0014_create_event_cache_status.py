"""create_event_cache_status

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 04:54:23.730367
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_cache_status",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id", "organization_id"],
            ["events.id", "events.organization_id"],
            name=op.f("fk_event_cache_status_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_cache_status")),
    )


def downgrade() -> None:
    op.drop_table("event_cache_status")
