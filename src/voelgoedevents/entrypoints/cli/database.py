"""Before a command uses the database: can it be reached, and is its schema the one this code
needs? Each "no" is one line saying what to do, instead of a driver's traceback halfway through
the command (or a server that answers /health while its sweeper fails every second)."""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from voelgoedevents.adapters.database import migrate
from voelgoedevents.entrypoints.cli.output import EXIT_SETUP, fail

UPGRADE = "run `voelgoed db upgrade`"


def shown(url: str) -> str:
    """The URL as it may be printed: no password."""
    return make_url(url).render_as_string(hide_password=True)


def check_sqlite_file(url: str, *, create: bool) -> None:
    """A SQLite file must exist (or, for ``create``, its folder must): SQLite would otherwise
    create an empty file for a typo, or fail with "unable to open database file"."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        raise fail(
            f"the folder of the SQLite database does not exist: {path.parent} "
            "(create it, or change VOELGOED_DATABASE_URL)",
            EXIT_SETUP,
        )
    if not create and not path.exists():
        raise fail(f"no database at {path}: {UPGRADE} to create it", EXIT_SETUP)


async def schema_revision(engine: AsyncEngine, *, create: bool = False) -> tuple[str | None, bool]:
    """The database's Alembic revision, and whether it has any tables at all. ``create``: a
    missing SQLite file may be created (by ``db upgrade``)."""
    url = engine.url.render_as_string(hide_password=False)
    check_sqlite_file(url, create=create)

    def read(connection: Connection) -> tuple[str | None, bool]:
        revision = MigrationContext.configure(connection).get_current_revision()
        return revision, bool(inspect(connection).get_table_names())

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    except (DBAPIError, OSError) as exc:  # OSError: refused, unknown host (asyncpg's own)
        raise fail(
            f"cannot connect to the database at {shown(url)}: {reason(exc)}", EXIT_SETUP
        ) from None


async def require_current_schema(engine: AsyncEngine) -> None:
    """Refuse to go on unless the database is at this code's newest revision."""
    current, has_tables = await schema_revision(engine)
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    head = script.get_current_head()
    if current == head:
        return
    if current is None:
        what = "has no tables yet" if not has_tables else "has tables but no schema revision"
        raise fail(f"the database {what}: {UPGRADE}", EXIT_SETUP)
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        raise fail(
            f"the database schema is at revision {current}, newer than this version knows "
            f"(its newest is {head}): run the newer version of voelgoedevents",
            EXIT_SETUP,
        )
    raise fail(
        f"the database schema is at revision {current}, this version needs {head}: {UPGRADE}",
        EXIT_SETUP,
    )


async def require_reachable(url: str, *, create: bool = False) -> str | None:
    """For commands that bring their own connection (Alembic's): the database answers; its
    revision. ``create``: a SQLite file may be created (by ``db upgrade``)."""
    engine = create_async_engine(url)
    try:
        return (await schema_revision(engine, create=create))[0]
    finally:
        await engine.dispose()


async def require_ready(url: str) -> None:
    """For long-running processes (serve, worker): reachable and at the newest revision."""
    engine = create_async_engine(url)
    try:
        await require_current_schema(engine)
    finally:
        await engine.dispose()


def reason(exc: BaseException) -> str:
    """What a driver said, without SQLAlchemy's wrapping: asyncpg's own exception hides under
    the adapter's; a socket error is its text."""
    if isinstance(exc, DBAPIError):
        cause = exc.orig.__cause__ if exc.orig is not None else None
        text = str(cause or exc.orig or exc)
    else:
        text = str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
