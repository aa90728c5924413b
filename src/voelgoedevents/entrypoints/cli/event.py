"""`voelgoed event ...`: create, list and show events, and move them through their lifecycle."""

from __future__ import annotations

import typer

from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.entrypoints.cli.common import (
    every_page,
    organization_id,
    parse_uuid,
    run_workflow,
    valid,
)
from voelgoedevents.entrypoints.cli.output import JSON, show, show_rows
from voelgoedevents.entrypoints.cli.progress import steps
from voelgoedevents.workflows import listing
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.events.event_status import change_event_status, get_event
from voelgoedevents.workflows.seating.import_layout import get_layout
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import EventView

app = typer.Typer(help="Events: create, list, show, publish, cancel.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Argument(...),
    org: str = typer.Option(..., help="Organisation slug or id."),
    venue: str = typer.Option(..., help="Venue id."),
    layout: str | None = typer.Option(None, help="Active layout id (none: general admission)."),
    start: str = typer.Option(..., help="Start, ISO 8601 with a zone: 2030-06-01T19:00+02:00"),
    end: str = typer.Option(..., help="End, ISO 8601 with a zone."),
    sale_start: str | None = typer.Option(None, help="Sales open (default: on publishing)."),
    capacity: int | None = typer.Option(None, help="General admission capacity."),
    as_json: bool = JSON,
) -> None:
    """Create a draft event (a seated event gets its seat inventory now)."""
    spec = valid(
        EventSpec,
        name=name,
        venue_id=venue,
        layout_id=layout,
        start_at=start,
        end_at=end,
        sale_start_at=sale_start,
        capacity=capacity,
    )

    async def work(services: Services) -> EventView:
        with steps("creating the event", 2 if spec.layout_id else 1) as step:
            org_id = await organization_id(services, org)
            places = "its places"
            if spec.layout_id is not None:
                step("reading the layout")
                seated = await get_layout(
                    services, organization_id=org_id, layout_id=spec.layout_id
                )
                places = f"{seated.seat_count:,} seats"
            step(f"writing the event and {places}")
            return await create_event(services, organization_id=org_id, spec=spec)

    show(run_workflow(work), as_json)


@app.command("list")
def list_(
    org: str = typer.Option(..., help="Organisation slug or id."), as_json: bool = JSON
) -> None:
    """List an organisation's events, oldest first."""

    async def work(services: Services) -> list[EventView]:
        org_id = await organization_id(services, org)
        return await every_page(
            lambda cursor: listing.list_events(
                services, organization_id=org_id, cursor=cursor, limit=listing.MAX_LIMIT
            )
        )

    show_rows(
        run_workflow(work),
        [
            ("id", "id"),
            ("name", "name"),
            ("status", "status"),
            ("starts", "start_at"),
            ("capacity", "capacity"),
            ("layout", "layout_id"),
        ],
        as_json,
    )


@app.command("show")
def show_(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    as_json: bool = JSON,
) -> None:
    """Show one event: its schedule, status, layout and settings."""
    event_id = parse_uuid(event, "event")

    async def work(services: Services) -> EventView:
        return await get_event(
            services, organization_id=await organization_id(services, org), event_id=event_id
        )

    show(run_workflow(work), as_json)


def _status_command(verb: str, target: EventStatus, help_text: str) -> None:
    def command(
        event: str = typer.Argument(..., help="Event id."),
        org: str = typer.Option(..., help="Organisation slug or id."),
        as_json: bool = JSON,
    ) -> None:
        event_id = parse_uuid(event, "event")

        async def work(services: Services) -> EventView:
            return await change_event_status(
                services,
                organization_id=await organization_id(services, org),
                event_id=event_id,
                target=target,
            )

        show(run_workflow(work), as_json)

    command.__doc__ = help_text
    app.command(verb)(command)


_status_command("publish", EventStatus.PUBLISHED, "Publish: on sale once its sale window opens.")
_status_command("live", EventStatus.LIVE, "Doors open: still on sale.")
_status_command("postpone", EventStatus.POSTPONED, "Postpone: no new holds until rescheduled.")
_status_command("cancel", EventStatus.CANCELLED, "Cancel: every active hold expires at once.")
_status_command("end", EventStatus.ENDED, "The event is over.")
