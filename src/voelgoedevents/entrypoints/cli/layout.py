"""`voelgoed layout ...`: generate, import, export and move layouts through their lifecycle."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.seating.layout import LayoutStatus, layout_document_schema
from voelgoedevents.entrypoints.cli.common import (
    console,
    fail,
    organization_id,
    parse_uuid,
    print_json,
    run_workflow,
)
from voelgoedevents.workflows.seating.import_layout import export_layout, import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status, copy_layout

app = typer.Typer(help="Venue layouts: documents in and out, lifecycle.", no_args_is_help=True)


@app.command()
def generate(
    kind: str = typer.Argument(..., help="theatre, arena or stadium"),
    seats: int = typer.Option(1_000, min=1, max=100_000, help="Exact number of seats."),
    seed: int = typer.Option(0, help="Same seed, same venue."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Write a synthetic venue layout document (for demos, tests and benchmarks)."""
    if kind not in ("theatre", "arena", "stadium"):
        raise fail(f"kind must be theatre, arena or stadium, got {kind!r}")
    document = generate_layout(kind, seats, seed=seed)  # type: ignore[arg-type]
    text = document.model_dump_json(indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text)
        console.print(f"wrote {document.seat_count} seats to {output}")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Layout document (JSON)."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    venue: str = typer.Option(..., help="Venue id."),
    activate: bool = typer.Option(False, help="Activate it once imported."),
) -> None:
    """Create a layout from a document: all of it, or nothing and every problem listed."""
    venue_id = parse_uuid(venue, "--venue")
    raw = path.read_bytes()

    async def work(services):  # type: ignore[no-untyped-def]
        org_id = await organization_id(services, org)
        with console.status("importing layout..."):
            layout = await import_layout(
                services, organization_id=org_id, venue_id=venue_id, document=raw
            )
        if activate:
            layout = await change_layout_status(
                services, organization_id=org_id, layout_id=layout.id, target=LayoutStatus.ACTIVE
            )
        return layout

    print_json(run_workflow(work))


@app.command()
def export(
    layout: str = typer.Argument(..., help="Layout id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    output: Path | None = typer.Option(None, "--output", "-o"),
) -> None:
    """Write a layout as a document that imports back to the same structure."""
    layout_id = parse_uuid(layout, "layout")

    async def work(services):  # type: ignore[no-untyped-def]
        return await export_layout(
            services, organization_id=await organization_id(services, org), layout_id=layout_id
        )

    text = run_workflow(work).model_dump_json(indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text)


def _status_command(verb: str, target: LayoutStatus, help_text: str) -> None:
    def command(
        layout: str = typer.Argument(..., help="Layout id."),
        org: str = typer.Option(..., help="Organisation slug or id."),
    ) -> None:
        layout_id = parse_uuid(layout, "layout")

        async def work(services):  # type: ignore[no-untyped-def]
            return await change_layout_status(
                services,
                organization_id=await organization_id(services, org),
                layout_id=layout_id,
                target=target,
            )

        print_json(run_workflow(work))

    command.__doc__ = help_text
    app.command(verb)(command)


_status_command("activate", LayoutStatus.ACTIVE, "Freeze a draft: its structure is final.")
_status_command("archive", LayoutStatus.ARCHIVED, "Retire a layout: it takes no new events.")


@app.command()
def copy(
    layout: str = typer.Argument(..., help="Layout id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
) -> None:
    """Copy a layout to a new draft version (the way to change an active layout)."""
    layout_id = parse_uuid(layout, "layout")

    async def work(services):  # type: ignore[no-untyped-def]
        return await copy_layout(
            services, organization_id=await organization_id(services, org), layout_id=layout_id
        )

    print_json(run_workflow(work))


@app.command()
def schema(output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    """Print the JSON Schema of layout documents (published as docs/layout-document.schema.json)."""
    text = json.dumps(layout_document_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
