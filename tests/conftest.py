"""Real servers, isolated per run.

PostgreSQL: one fresh database per test run (``voelgoed_test_<run>``), migrated with Alembic,
dropped at the end; tables are truncated after each test. SQLite: a migrated template file,
copied for each test. Redis: a key namespace per run (``vtest-<run>``), deleted at the end.

``hold_services`` runs a test in each mode of the engine: embedded (SQLite and the in-process
cache), redis (PostgreSQL and Redis) and database (PostgreSQL alone, as when Redis is down).
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis

from voelgoedevents.adapters.database import tables as _tables  # noqa: F401  (registers tables)
from voelgoedevents.adapters.database.base import Base
from voelgoedevents.adapters.database.migrate import upgrade
from voelgoedevents.bootstrap import CacheMode, Services, build_services
from voelgoedevents.settings import (
    DatabaseSettings,
    HoldSettings,
    RedisSettings,
    Settings,
    load_settings,
)

from support.clock import ManualClock
from support.servers import REDIS_URL, in_thread, scratch_database

RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with scratch_database(f"voelgoed_test_{RUN_ID}") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


TRUNCATE_ALL = "TRUNCATE {} RESTART IDENTITY CASCADE".format(
    ", ".join(table.name for table in Base.metadata.sorted_tables)
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_settings(database_url: str, **redis: object) -> Settings:
    return load_settings(
        database=DatabaseSettings(url=database_url, pool_size=5, max_overflow=10),
        redis=RedisSettings(**redis),  # type: ignore[arg-type]
        holds=HoldSettings(),
    )


async def _delete_namespace(namespace: str) -> None:
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.unlink(*keys[start : start + 500])
    finally:
        await client.aclose()


async def _ping_redis() -> None:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        raise RuntimeError(
            f"Redis is required for these tests and is not reachable at {REDIS_URL} ({exc}); "
            "set VOELGOED_TEST_REDIS_URL"
        ) from exc
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def redis_namespace() -> Iterator[str]:
    namespace = f"vtest-{RUN_ID}"
    in_thread(lambda: asyncio.run(_ping_redis()))
    try:
        yield namespace
    finally:
        in_thread(lambda: asyncio.run(_delete_namespace(namespace)))


MODES: dict[str, tuple[str, CacheMode]] = {
    "embedded": ("sqlite", "memory"),
    "redis": ("postgresql", "redis"),
    "database": ("postgresql", "none"),
}


@pytest.fixture(params=list(MODES))
async def hold_services(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Services]:
    database, cache = MODES[request.param]
    if database == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        copy = tmp_path / "voelgoed.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), copy)
        url = f"sqlite+aiosqlite:///{copy}"
    redis: dict[str, object] = {}
    if cache == "redis":
        redis = {"url": REDIS_URL, "namespace": request.getfixturevalue("redis_namespace")}
    built = build_services(make_settings(url, **redis), clock=clock, cache_mode=cache)
    try:
        yield built
    finally:
        if database == "postgresql":
            async with built.engine.begin() as connection:
                await connection.execute(sa.text(TRUNCATE_ALL))
        await built.aclose()


@pytest.fixture(params=["postgresql", "sqlite"])
async def services(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Services]:
    """Services on each database in turn (embedded mode: no Redis)."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        copy = tmp_path / "voelgoed.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), copy)
        url = f"sqlite+aiosqlite:///{copy}"
    built = build_services(make_settings(url), clock=clock)
    try:
        yield built
    finally:
        if request.param == "postgresql":
            async with built.engine.begin() as connection:
                await connection.execute(sa.text(TRUNCATE_ALL))
        await built.aclose()


@pytest.fixture
async def pg_services(postgres_url: str, clock: ManualClock) -> AsyncIterator[Services]:
    """Services on PostgreSQL only, for what SQLite cannot show (concurrency, row locks)."""
    built = build_services(make_settings(postgres_url), clock=clock)
    try:
        yield built
    finally:
        async with built.engine.begin() as connection:
            await connection.execute(sa.text(TRUNCATE_ALL))
        await built.aclose()
