"""`voelgoed key ...`: API keys (the token is printed once)."""

from __future__ import annotations

import typer

from voelgoedevents.domain.access import ApiKeySpec, Role
from voelgoedevents.entrypoints.cli.common import (
    organization_id,
    parse_uuid,
    run_workflow,
    valid,
)
from voelgoedevents.entrypoints.cli.output import JSON, fail, print_json, show, show_rows
from voelgoedevents.workflows import access
from voelgoedevents.workflows.access import ApiKeyView
from voelgoedevents.workflows.services import Services

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Argument(..., help="Who or what uses the key."),
    role: str = typer.Option("admin", help="admin, sales, read, or platform."),
    org: str | None = typer.Option(None, help="Organisation slug or id (not for platform)."),
    as_json: bool = JSON,
) -> None:
    """Create a key and print its token: the only time it is shown."""
    spec = valid(ApiKeySpec, name=name, role=role)
    if (spec.role is Role.PLATFORM) != (org is None):
        raise fail("a platform key takes no --org; every other key needs one")

    async def work(services: Services) -> tuple[ApiKeyView, str]:
        org_id = await organization_id(services, org) if org else None
        return await access.create_api_key(services, organization_id=org_id, spec=spec)

    key, token = run_workflow(work)
    if as_json:
        print_json({"key": key, "token": token})
    else:
        show(key, as_json, extra={"token (shown once)": token})


@app.command("list")
def list_keys(
    org: str | None = typer.Option(None, help="Organisation (default: all)."),
    as_json: bool = JSON,
) -> None:
    """List keys (never their tokens)."""

    async def work(services: Services) -> list[ApiKeyView]:
        org_id = await organization_id(services, org) if org else None
        return await access.list_api_keys(services, org_id)

    show_rows(
        run_workflow(work),
        [
            ("id", "id"),
            ("organisation", "organization_id"),
            ("name", "name"),
            ("role", "role"),
            ("prefix", "prefix"),
            ("revoked", "revoked_at"),
        ],
        as_json,
    )


@app.command()
def revoke(key: str = typer.Argument(..., help="Key id."), as_json: bool = JSON) -> None:
    """Revoke a key: it stops working within seconds, everywhere."""
    key_id = parse_uuid(key, "key")
    show(run_workflow(lambda services: access.revoke_api_key(services, key_id=key_id)), as_json)
