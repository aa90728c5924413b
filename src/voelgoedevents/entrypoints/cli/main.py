"""The `voelgoed` command line."""

from __future__ import annotations

import typer

from voelgoedevents.entrypoints.cli import db, event, keys, layout, operations, server
from voelgoedevents.entrypoints.cli.tenancy import org_app, venue_app

app = typer.Typer(
    help="VoelgoedEvents seating engine: venues, layouts, events, holds.",
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
app.command("bench")(operations.bench)
app.command("openapi")(operations.openapi)


def run() -> None:
    app()
