"""add focal points, seat ranks, aisles and companion seats

What seat selection reads: a focal point (layouts, sections), a rank, aisle marks and the
wheelchair space a companion seat belongs to (seats). Columns, not ``metadata`` keys: the seat
map reads them for every seat, and they are checked here like the rest of the structure.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:06:58.773177
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOCAL_POINT_WHOLE = "(focal_x IS NULL) = (focal_y IS NULL)"


def upgrade() -> None:
    for table in ("layouts", "sections"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("focal_x", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("focal_y", sa.Float(), nullable=True))
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_focal_point_whole"), FOCAL_POINT_WHOLE
            )
    with op.batch_alter_table("seats") as batch_op:
        batch_op.add_column(sa.Column("rank", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("aisle_before", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("aisle_after", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("companion_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_seats_companion_of_seats"),
            "seats",
            ["companion_of", "layout_id"],
            ["seat_index", "layout_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("seats") as batch_op:
        batch_op.drop_constraint(op.f("fk_seats_companion_of_seats"), type_="foreignkey")
        batch_op.drop_column("companion_of")
        batch_op.drop_column("aisle_after")
        batch_op.drop_column("aisle_before")
        batch_op.drop_column("rank")
    for table in ("sections", "layouts"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_focal_point_whole"), type_="check")
            batch_op.drop_column("focal_y")
            batch_op.drop_column("focal_x")
