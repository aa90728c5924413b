"""`voelgoed layout ...`: generate, import, export, list and move layouts through their
lifecycle."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.seating.layout import (
    LayoutDocument,
    LayoutStatus,
    layout_document_schema,
)
from voelgoedevents.entrypoints.cli.common import (
    every_page,
    organization_id,
    parse_uuid,
    run_workflow,
)
from voelgoedevents.entrypoints.cli.output import (
    JSON,
    OUTPUT,
    console,
    fail,
    show,
    show_rows,
    write_output,
)
from voelgoedevents.entrypoints.cli.progress import steps
from voelgoedevents.workflows import listing
from voelgoedevents.workflows.seating.import_layout import export_layout, import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status, copy_layout
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import LayoutView

app = typer.Typer(help="Venue layouts: documents in and out, lifecycle.", no_args_is_help=True)


@app.command()
def generate(
    kind: str = typer.Argument(..., help="theatre, arena or stadium"),
    seats: int = typer.Option(1_000, min=1, max=100_000, help="Exact number of seats."),
    seed: int = typer.Option(0, help="Same seed, same venue."),
    output: Path | None = OUTPUT,
) -> None:
    """Write a synthetic venue layout document (for demos, tests and benchmarks)."""
    if kind not in ("theatre", "arena", "stadium"):
        raise fail(f"kind must be theatre, arena or stadium, got {kind!r}")
    document = generate_layout(kind, seats, seed=seed)  # type: ignore[arg-type]
    write_output(document.model_dump_json(indent=1), output)
    if output is not None:
        console.print(f"wrote {document.seat_count} seats to {output}")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Layout document (JSON)."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    venue: str = typer.Option(..., help="Venue id."),
    activate: bool = typer.Option(False, help="Activate it once imported."),
    as_json: bool = JSON,
) -> None:
    """Create a layout from a document: all of it, or nothing and every problem listed."""
    venue_id = parse_uuid(venue, "--venue")

    async def work(services: Services) -> LayoutView:
        with steps(f"importing {path.name}", 3 if activate else 2) as step:
            step("reading the document")
            raw = await asyncio.to_thread(path.read_bytes)
            org_id = await organization_id(services, org)
            step("checking and writing the layout")
            layout = await import_layout(
                services, organization_id=org_id, venue_id=venue_id, document=raw
            )
            if activate:
                step(f"activating {layout.seat_count:,} seats")
                layout = await change_layout_status(
                    services,
                    organization_id=org_id,
                    layout_id=layout.id,
                    target=LayoutStatus.ACTIVE,
                )
        return layout

    show(run_workflow(work), as_json)


@app.command("list")
def list_(
    org: str = typer.Option(..., help="Organisation slug or id."),
    venue: str | None = typer.Option(None, help="Only this venue's layouts (venue id)."),
    as_json: bool = JSON,
) -> None:
    """List an organisation's layouts (every version), oldest first."""
    venue_id = parse_uuid(venue, "--venue") if venue is not None else None

    async def work(services: Services) -> list[LayoutView]:
        org_id = await organization_id(services, org)
        return await every_page(
            lambda cursor: listing.list_layouts(
                services,
                organization_id=org_id,
                venue_id=venue_id,
                cursor=cursor,
                limit=listing.MAX_LIMIT,
            )
        )

    show_rows(
        run_workflow(work),
        [
            ("id", "id"),
            ("name", "name"),
            ("venue", "venue_id"),
            ("status", "status"),
            ("version", "version"),
            ("seats", "seat_count"),
            ("capacity", "total_capacity"),
        ],
        as_json,
    )


@app.command()
def export(
    layout: str = typer.Argument(..., help="Layout id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    output: Path | None = OUTPUT,
) -> None:
    """Write a layout as a document that imports back to the same structure."""
    layout_id = parse_uuid(layout, "layout")

    async def work(services: Services) -> LayoutDocument:
        return await export_layout(
            services, organization_id=await organization_id(services, org), layout_id=layout_id
        )

    write_output(run_workflow(work).model_dump_json(indent=1), output)


def _status_command(verb: str, target: LayoutStatus, help_text: str) -> None:
    def command(
        layout: str = typer.Argument(..., help="Layout id."),
        org: str = typer.Option(..., help="Organisation slug or id."),
        as_json: bool = JSON,
    ) -> None:
        layout_id = parse_uuid(layout, "layout")

        async def work(services: Services) -> LayoutView:
            return await change_layout_status(
                services,
                organization_id=await organization_id(services, org),
                layout_id=layout_id,
                target=target,
            )

        show(run_workflow(work), as_json)

    command.__doc__ = help_text
    app.command(verb)(command)


_status_command("activate", LayoutStatus.ACTIVE, "Freeze a draft: its structure is final.")
_status_command("archive", LayoutStatus.ARCHIVED, "Retire a layout: it takes no new events.")


@app.command()
def copy(
    layout: str = typer.Argument(..., help="Layout id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    as_json: bool = JSON,
) -> None:
    """Copy a layout to a new draft version (the way to change an active layout)."""
    layout_id = parse_uuid(layout, "layout")

    async def work(services: Services) -> LayoutView:
        return await copy_layout(
            services, organization_id=await organization_id(services, org), layout_id=layout_id
        )

    show(run_workflow(work), as_json)


@app.command()
def schema(output: Path | None = OUTPUT) -> None:
    """Print the JSON Schema of layout documents (published as docs/layout-document.schema.json)."""
    write_output(json.dumps(layout_document_schema(), indent=2, sort_keys=True) + "\n", output)
