"""`voelgoed event ...`: create events and move them through their lifecycle."""

from __future__ import annotations

import typer

from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.entrypoints.cli.common import (
    organization_id,
    parse_uuid,
    print_json,
    run_workflow,
    valid,
)
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.events.event_status import change_event_status

app = typer.Typer(help="Events: create, publish, cancel.", no_args_is_help=True)


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

    async def work(services):  # type: ignore[no-untyped-def]
        return await create_event(
            services, organization_id=await organization_id(services, org), spec=spec
        )

    print_json(run_workflow(work))


def _status_command(verb: str, target: EventStatus, help_text: str) -> None:
    def command(
        event: str = typer.Argument(..., help="Event id."),
        org: str = typer.Option(..., help="Organisation slug or id."),
    ) -> None:
        event_id = parse_uuid(event, "event")

        async def work(services):  # type: ignore[no-untyped-def]
            return await change_event_status(
                services,
                organization_id=await organization_id(services, org),
                event_id=event_id,
                target=target,
            )

        print_json(run_workflow(work))

    command.__doc__ = help_text
    app.command(verb)(command)


_status_command("publish", EventStatus.PUBLISHED, "Publish: on sale once its sale window opens.")
_status_command("live", EventStatus.LIVE, "Doors open: still on sale.")
_status_command("postpone", EventStatus.POSTPONED, "Postpone: no new holds until rescheduled.")
_status_command("cancel", EventStatus.CANCELLED, "Cancel: every active hold expires at once.")
_status_command("end", EventStatus.ENDED, "The event is over.")
