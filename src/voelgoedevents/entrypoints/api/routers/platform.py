"""Organisations and their API keys: platform keys only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from voelgoedevents.domain.access import ApiKeySpec
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.entrypoints.api.auth import AnyCaller, Platform, ServicesDep
from voelgoedevents.entrypoints.api.params import Cursor, Limit
from voelgoedevents.entrypoints.api.schemas import ApiKeyOut, NewApiKeyOut, OrganizationOut, Page
from voelgoedevents.workflows import access, listing, tenancy
from voelgoedevents.workflows.access import ApiKeyView
from voelgoedevents.workflows.listing import Page as ListPage
from voelgoedevents.workflows.views import OrganizationView

router = APIRouter(tags=["organisations and keys"])


@router.post("/organizations", status_code=201, response_model=OrganizationOut)
async def create_organization(
    body: OrganizationSpec, caller: Platform, services: ServicesDep
) -> OrganizationView:
    return await tenancy.create_organization(services, body)


@router.get("/organizations", response_model=Page[OrganizationOut])
async def list_organizations(
    caller: Platform,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[OrganizationView]:
    return await listing.list_organizations(services, cursor=cursor, limit=limit)


@router.get("/organizations/{organization_id}", response_model=OrganizationOut)
async def get_organization(
    organization_id: uuid.UUID, caller: AnyCaller, services: ServicesDep
) -> OrganizationView:
    """A platform key sees any organisation; an organisation's key only its own."""
    if caller.organization_id is not None and caller.organization_id != organization_id:
        raise NotFound("organisation not found")
    return await tenancy.get_organization(services, organization_id)


@router.post("/organizations/{organization_id}/keys", status_code=201, response_model=NewApiKeyOut)
async def create_key(
    organization_id: uuid.UUID,
    body: ApiKeySpec,
    caller: Platform,
    services: ServicesDep,
    response: Response,
) -> dict[str, object]:
    """The token is in this answer only: it is not stored (not even for an Idempotency-Key
    retry, which makes another key) nor kept by caches on the way."""
    key, token = await access.create_api_key(services, organization_id=organization_id, spec=body)
    response.headers["Cache-Control"] = "no-store"
    return {"key": key, "token": token}


@router.get("/organizations/{organization_id}/keys", response_model=Page[ApiKeyOut])
async def list_keys(
    organization_id: uuid.UUID,
    caller: Platform,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[ApiKeyView]:
    """Oldest first, revoked keys too (never their tokens)."""
    await tenancy.get_organization(services, organization_id)
    return await listing.list_api_keys(
        services, organization_id=organization_id, cursor=cursor, limit=limit
    )


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyOut)
async def revoke_key(key_id: uuid.UUID, caller: Platform, services: ServicesDep) -> ApiKeyView:
    return await access.revoke_api_key(services, key_id=key_id)
