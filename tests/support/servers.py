"""Where the test servers are. Tests use real PostgreSQL and Redis; a missing server fails the
run (an unreachable server is an error, never a skip)."""

from __future__ import annotations

import os

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
