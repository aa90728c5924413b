"""`voelgoed db ...`: schema migrations (Alembic underneath)."""

from __future__ import annotations

import asyncio

import typer

from voelgoedevents.adapters.database import migrate
from voelgoedevents.entrypoints.cli.database import require_reachable
from voelgoedevents.entrypoints.cli.output import console
from voelgoedevents.settings import load_settings

app = typer.Typer(
    help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True
)


def _reachable_url(*, create: bool = False) -> str:
    """The configured database, once it answers (Alembic's own failures are tracebacks)."""
    url = load_settings().database.url
    asyncio.run(require_reachable(url, create=create))
    return url


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest). Creates a SQLite file."""
    url = _reachable_url(create=True)
    migrate.upgrade(url, revision)
    console.print(f"database at [bold]{asyncio.run(migrate.current_revision(url))}[/]")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or `base`.")) -> None:
    """Revert migrations down to REVISION."""
    url = _reachable_url()
    migrate.downgrade(url, revision)
    console.print(f"database at [bold]{asyncio.run(migrate.current_revision(url)) or 'base'}[/]")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one available."""
    revision = asyncio.run(require_reachable(load_settings().database.url))
    console.print(
        f"current: {revision or 'none (empty database)'}; head: {migrate.head_revision()}"
    )
