"""`voelgoed key ...`: API keys (the token is printed once)."""

from __future__ import annotations

import typer
from rich.table import Table

from voelgoedevents.domain.access import ApiKeySpec, Role
from voelgoedevents.entrypoints.cli.common import (
    console,
    fail,
    organization_id,
    parse_uuid,
    print_json,
    run_workflow,
    valid,
)
from voelgoedevents.workflows import access

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Argument(..., help="Who or what uses the key."),
    role: str = typer.Option("admin", help="admin, sales, read, or platform."),
    org: str | None = typer.Option(None, help="Organisation slug or id (not for platform)."),
) -> None:
    """Create a key and print its token: the only time it is shown."""
    spec = valid(ApiKeySpec, name=name, role=role)
    if (spec.role is Role.PLATFORM) != (org is None):
        raise fail("a platform key takes no --org; every other key needs one")

    async def work(services):  # type: ignore[no-untyped-def]
        org_id = await organization_id(services, org) if org else None
        return await access.create_api_key(services, organization_id=org_id, spec=spec)

    key, token = run_workflow(work)
    print_json({"key": key, "token": token})


@app.command("list")
def list_keys(org: str | None = typer.Option(None, help="Organisation (default: all).")) -> None:
    """List keys (never their tokens)."""

    async def work(services):  # type: ignore[no-untyped-def]
        org_id = await organization_id(services, org) if org else None
        return await access.list_api_keys(services, org_id)

    table = Table("id", "organisation", "name", "role", "prefix", "revoked")
    for key in run_workflow(work):
        table.add_row(
            str(key.id),
            str(key.organization_id or "-"),
            key.name,
            key.role,
            key.prefix,
            str(key.revoked_at or ""),
        )
    console.print(table)


@app.command()
def revoke(key: str = typer.Argument(..., help="Key id.")) -> None:
    """Revoke a key: it stops working within seconds, everywhere."""
    key_id = parse_uuid(key, "key")
    print_json(run_workflow(lambda services: access.revoke_api_key(services, key_id=key_id)))
