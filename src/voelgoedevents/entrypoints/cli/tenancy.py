"""`voelgoed org ...` and `voelgoed venue ...`."""

from __future__ import annotations

import typer
from rich.table import Table

from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.entrypoints.cli.common import (
    console,
    organization_id,
    print_json,
    run_workflow,
    valid,
)
from voelgoedevents.workflows.tenancy import create_organization, create_venue, list_organizations

org_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
venue_app = typer.Typer(help="Venues of an organisation.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: str = typer.Argument(..., help="Display name."),
    slug: str = typer.Option(..., help="Unique short name: lowercase letters, digits, hyphens."),
) -> None:
    """Create an organisation."""
    spec = valid(OrganizationSpec, name=name, slug=slug)
    print_json(run_workflow(lambda services: create_organization(services, spec)))


@org_app.command("list")
def org_list() -> None:
    """List organisations."""
    table = Table("slug", "name", "id", "status")
    for organization in run_workflow(list_organizations):
        table.add_row(
            organization.slug, organization.name, str(organization.id), organization.status
        )
    console.print(table)


@venue_app.command("create")
def venue_create(
    name: str = typer.Argument(...),
    org: str = typer.Option(..., help="Organisation slug or id."),
    city: str = typer.Option(""),
    country: str = typer.Option(""),
    timezone: str = typer.Option("Africa/Johannesburg"),
) -> None:
    """Create a venue."""
    spec = valid(VenueSpec, name=name, city=city, country=country, timezone=timezone)

    async def work(services):  # type: ignore[no-untyped-def]
        return await create_venue(
            services, organization_id=await organization_id(services, org), spec=spec
        )

    print_json(run_workflow(work))
