"""idempotency_record_leases

A key in flight is held by a short lease its request renews while it runs (``lease_until``),
instead of a fixed minute from its claim: a retry after a dead attempt is answered within
seconds. Records in flight when this runs keep the minute they had.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-04 20:10:00.000000
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LEASE = timedelta(seconds=60)  # what a claim was good for before leases were renewed

records = sa.table(
    "idempotency_records",
    sa.column("api_key_id", sa.Uuid()),
    sa.column("key", sa.String(200)),
    sa.column("state", sa.String(10)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("lease_until", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column(
        "idempotency_records",
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    # In Python, not in SQL: date arithmetic is written differently on each database, and only
    # the few records in flight right now need it.
    bind = op.get_bind()
    in_flight = bind.execute(
        sa.select(records.c.api_key_id, records.c.key, records.c.created_at).where(
            records.c.state == "in_flight"
        )
    ).all()
    for api_key_id, key, created_at in in_flight:
        bind.execute(
            records.update()
            .where(records.c.api_key_id == api_key_id, records.c.key == key)
            .values(lease_until=created_at + OLD_LEASE)
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("lease_until")
