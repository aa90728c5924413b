"""Migrations: reversible on both databases, and exactly what the models say."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from voelgoedevents.adapters.database import tables
from voelgoedevents.adapters.database.base import Base
from voelgoedevents.adapters.database.migrate import current_revision, downgrade, upgrade

from support.servers import POSTGRES_ADMIN_URL, admin_sql, database_url


@pytest.fixture(params=["postgresql", "sqlite"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"voelgoed_migrations_{uuid.uuid4().hex[:10]}"
    await admin_sql(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(POSTGRES_ADMIN_URL, name)
    finally:
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_no_drift(empty_database: str) -> None:
    await asyncio.to_thread(upgrade, empty_database)
    head = await current_revision(empty_database)
    assert head is not None
    assert await _differences(empty_database) == []
    await asyncio.to_thread(downgrade, empty_database, "base")
    assert await current_revision(empty_database) is None
    await asyncio.to_thread(upgrade, empty_database)
    assert await current_revision(empty_database) == head
    assert await _differences(empty_database) == []


def test_one_migration_per_resource() -> None:
    versions = Path(tables.__file__).parent.parent / "migrations" / "versions"
    names = sorted(path.stem.split("_", 1)[1] for path in versions.glob("0*.py"))
    for resource in ("layouts", "sections", "blocks", "seats", "events", "ticket_types"):
        assert f"create_{resource}" in names
