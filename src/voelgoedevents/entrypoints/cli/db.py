"""`voelgoed db ...`: schema migrations (Alembic underneath)."""

from __future__ import annotations

import asyncio

import typer

from voelgoedevents.adapters.database import migrate
from voelgoedevents.entrypoints.cli.common import console, fail
from voelgoedevents.settings import SettingsError, load_settings

app = typer.Typer(
    help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True
)


def _url() -> str:
    try:
        return load_settings().database.url
    except SettingsError as exc:
        raise fail(str(exc), 2) from None


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(_url(), revision)
    console.print(f"database at [bold]{asyncio.run(migrate.current_revision(_url()))}[/]")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or `base`.")) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(_url(), revision)
    console.print(f"database at [bold]{asyncio.run(migrate.current_revision(_url())) or 'base'}[/]")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one available."""
    revision = asyncio.run(migrate.current_revision(_url()))
    console.print(
        f"current: {revision or 'none (empty database)'}; head: {migrate.head_revision()}"
    )
