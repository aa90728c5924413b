"""The `voelgoed` command line."""

from __future__ import annotations

import typer

from voelgoedevents.entrypoints.cli import bench, db, event, keys, layout, operations, server
from voelgoedevents.entrypoints.cli.common import OneLineErrors
from voelgoedevents.entrypoints.cli.output import EXIT_CODES
from voelgoedevents.entrypoints.cli.tenancy import org_app, venue_app

app = typer.Typer(
    cls=OneLineErrors,
    help="VoelgoedEvents seating engine: venues, layouts, events, holds. Records print as "
    "tables, or as JSON with --json; errors print one line.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(venue_app, name="venue")
app.add_typer(layout.app, name="layout")
app.add_typer(event.app, name="event")
app.add_typer(operations.cache_app, name="cache")
app.add_typer(operations.check_app, name="check")
app.add_typer(keys.app, name="key")
app.command("worker")(operations.worker)
app.command("serve")(server.serve)
app.command("demo")(server.demo)
app.command("bench")(bench.bench)
app.command("openapi")(operations.openapi)


def run() -> None:
    app()
