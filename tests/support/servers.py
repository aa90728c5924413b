"""Where the test servers are. Tests use real PostgreSQL and Redis; a missing server fails the
run (an unreachable server is an error, never a skip)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import asyncpg

from voelgoedevents.adapters.database.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "VOELGOED_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VOELGOED_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants a libpq URL, SQLAlchemy a `postgresql+asyncpg` one."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_url(admin_url: str, database: str) -> str:
    base = asyncpg_dsn(admin_url).rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def in_thread(work: Callable[[], object]) -> None:
    """Blocking set-up with event loops of its own (Alembic's env does ``asyncio.run``) runs in
    a thread, clear of whatever loop the caller is in."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


async def admin_sql(sql: str) -> None:
    """One statement on the administrative database (CREATE/DROP DATABASE)."""
    try:
        connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is required for these tests and is not reachable at "
            f"{POSTGRES_ADMIN_URL} ({exc}); set VOELGOED_TEST_POSTGRES_URL"
        ) from exc
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh database migrated to head; its SQLAlchemy URL. Dropped whatever happens."""
    in_thread(lambda: asyncio.run(admin_sql(f'CREATE DATABASE "{name}"')))
    url = database_url(POSTGRES_ADMIN_URL, name)
    try:
        in_thread(lambda: upgrade(url))
        yield url
    finally:
        in_thread(lambda: asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
