"""Fetch one tenant-owned row by id, or raise NotFound."""

from __future__ import annotations

import uuid
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import TenantOwned
from voelgoedevents.domain.errors import NotFound

Row = TypeVar("Row", bound=TenantOwned)


async def get_owned(
    session: AsyncSession,
    table: type[Row],
    organization_id: uuid.UUID,
    row_id: uuid.UUID,
    *,
    what: str,
    for_update: bool = False,
    no_key: bool = False,
) -> Row:
    """The row if it exists *and* belongs to the organisation; otherwise NotFound, the same
    answer either way, so ids of other tenants reveal nothing. ``no_key`` locks with ``FOR NO
    KEY UPDATE``: the row's key does not change, so inserting children (an audit row's foreign
    key takes ``FOR KEY SHARE`` on its event) is not held up, and cannot deadlock with it."""
    statement = sa.select(table).where(
        table.id == row_id,  # type: ignore[attr-defined]
        table.organization_id == organization_id,
    )
    if for_update:
        statement = statement.with_for_update(key_share=no_key).execution_options(
            populate_existing=True
        )
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{what} not found", what=what, id=str(row_id))
    return row
