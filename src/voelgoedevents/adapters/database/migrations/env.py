"""Alembic environment: async engine, our metadata, batch mode on SQLite.

The URL comes from ``sqlalchemy.url`` in the Alembic config when set (the CLI and tests set it),
otherwise from ``VOELGOED_DATABASE_URL``.

To generate one migration per resource, limit autogenerate to some tables:
``alembic -x only=layouts revision --autogenerate -m create_layouts``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from voelgoedevents.adapters.database import tables  # noqa: F401  (registers every table)
from voelgoedevents.adapters.database.base import Base, UTCDateTime
from voelgoedevents.settings import DatabaseSettings

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or DatabaseSettings().url


def _only_tables() -> set[str] | None:
    only = context.get_x_argument(as_dictionary=True).get("only")
    return set(only.split(",")) if only else None


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    only = _only_tables()
    if only is None:
        return True
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in only


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations stay free of application imports: our UTC wrapper is a plain timestamptz.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    is_sqlite = _database_url().startswith("sqlite")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=is_sqlite,  # SQLite alters tables by copying them
        include_object=_include_object,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller lent us its connection
        await connection.run_sync(_run_sync)
        return
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
