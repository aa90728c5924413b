"""`voelgoed org ...` and `voelgoed venue ...`."""

from __future__ import annotations

import typer

from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.entrypoints.cli.common import (
    every_page,
    organization_id,
    run_workflow,
    valid,
)
from voelgoedevents.entrypoints.cli.output import JSON, show, show_rows
from voelgoedevents.workflows import listing
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.tenancy import create_organization, create_venue, list_organizations
from voelgoedevents.workflows.views import VenueView

org_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
venue_app = typer.Typer(help="Venues of an organisation.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: str = typer.Argument(..., help="Display name."),
    slug: str = typer.Option(..., help="Unique short name: lowercase letters, digits, hyphens."),
    as_json: bool = JSON,
) -> None:
    """Create an organisation."""
    spec = valid(OrganizationSpec, name=name, slug=slug)
    show(run_workflow(lambda services: create_organization(services, spec)), as_json)


@org_app.command("list")
def org_list(as_json: bool = JSON) -> None:
    """List organisations."""
    show_rows(
        run_workflow(list_organizations),
        [("slug", "slug"), ("name", "name"), ("id", "id"), ("status", "status")],
        as_json,
    )


@venue_app.command("create")
def venue_create(
    name: str = typer.Argument(...),
    org: str = typer.Option(..., help="Organisation slug or id."),
    city: str = typer.Option(""),
    country: str = typer.Option(""),
    timezone: str = typer.Option("Africa/Johannesburg"),
    as_json: bool = JSON,
) -> None:
    """Create a venue."""
    spec = valid(VenueSpec, name=name, city=city, country=country, timezone=timezone)

    async def work(services: Services) -> VenueView:
        return await create_venue(
            services, organization_id=await organization_id(services, org), spec=spec
        )

    show(run_workflow(work), as_json)


@venue_app.command("list")
def venue_list(
    org: str = typer.Option(..., help="Organisation slug or id."), as_json: bool = JSON
) -> None:
    """List an organisation's venues, oldest first."""

    async def work(services: Services) -> list[VenueView]:
        org_id = await organization_id(services, org)
        return await every_page(
            lambda cursor: listing.list_venues(
                services, organization_id=org_id, cursor=cursor, limit=listing.MAX_LIMIT
            )
        )

    show_rows(
        run_workflow(work),
        [
            ("id", "id"),
            ("name", "name"),
            ("city", "city"),
            ("timezone", "timezone"),
            ("status", "status"),
        ],
        as_json,
    )
