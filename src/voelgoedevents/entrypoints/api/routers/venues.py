"""Venues and their layouts: documents in and out, lifecycle, structure."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.entrypoints.api.auth import Admin, Reader, ServicesDep
from voelgoedevents.entrypoints.api.params import Cursor, Limit, SeatLimit, VenueFilter
from voelgoedevents.entrypoints.api.schemas import LayoutOut, Page, SeatOut, SectionOut, VenueOut
from voelgoedevents.workflows import listing, tenancy
from voelgoedevents.workflows.listing import Page as ListPage
from voelgoedevents.workflows.listing import SeatView, SectionView
from voelgoedevents.workflows.seating import import_layout as layouts
from voelgoedevents.workflows.seating import layout_lifecycle as lifecycle
from voelgoedevents.workflows.views import LayoutView, VenueView

router = APIRouter(tags=["venues and layouts"])

# Layout documents are read raw and parsed once by the domain (which lists every problem with
# its path); the OpenAPI document still names their schema.
DOCUMENT = {"$ref": "#/components/schemas/LayoutDocument"}
DOCUMENT_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": DOCUMENT}}}
}


@router.post("/venues", status_code=201, response_model=VenueOut)
async def create_venue(body: VenueSpec, member: Admin, services: ServicesDep) -> VenueView:
    return await tenancy.create_venue(services, organization_id=member.organization_id, spec=body)


@router.get("/venues", response_model=Page[VenueOut])
async def list_venues(
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[VenueView]:
    return await listing.list_venues(
        services, organization_id=member.organization_id, cursor=cursor, limit=limit
    )


@router.get("/venues/{venue_id}", response_model=VenueOut)
async def get_venue(venue_id: uuid.UUID, member: Reader, services: ServicesDep) -> VenueView:
    return await tenancy.get_venue(
        services, organization_id=member.organization_id, venue_id=venue_id
    )


@router.post(
    "/venues/{venue_id}/layouts",
    status_code=201,
    response_model=LayoutOut,
    openapi_extra=DOCUMENT_BODY,
)
async def import_layout(
    venue_id: uuid.UUID, member: Admin, services: ServicesDep, request: Request
) -> LayoutView:
    """A new draft layout from one document, all of it or nothing (every problem listed)."""
    return await layouts.import_layout(
        services,
        organization_id=member.organization_id,
        venue_id=venue_id,
        document=await request.body(),
    )


@router.get("/layouts", response_model=Page[LayoutOut])
async def list_layouts(
    member: Reader,
    services: ServicesDep,
    venue_id: VenueFilter = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[LayoutView]:
    return await listing.list_layouts(
        services,
        organization_id=member.organization_id,
        venue_id=venue_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/layouts/{layout_id}", response_model=LayoutOut)
async def get_layout(layout_id: uuid.UUID, member: Reader, services: ServicesDep) -> LayoutView:
    return await layouts.get_layout(
        services, organization_id=member.organization_id, layout_id=layout_id
    )


@router.get(
    "/layouts/{layout_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": DOCUMENT}}}},
)
async def export_layout(layout_id: uuid.UUID, member: Reader, services: ServicesDep) -> Response:
    """The layout as a document that imports back to the same structure."""
    document = await layouts.export_layout(
        services, organization_id=member.organization_id, layout_id=layout_id
    )
    return Response(document.model_dump_json(exclude_defaults=True), media_type="application/json")


@router.put("/layouts/{layout_id}/document", response_model=LayoutOut, openapi_extra=DOCUMENT_BODY)
async def replace_document(
    layout_id: uuid.UUID, member: Admin, services: ServicesDep, request: Request
) -> LayoutView:
    """Replace a draft's whole structure. An active layout refuses: copy it first."""
    return await lifecycle.replace_layout_document(
        services,
        organization_id=member.organization_id,
        layout_id=layout_id,
        document=await request.body(),
    )


@router.post("/layouts/{layout_id}/activate", response_model=LayoutOut)
async def activate_layout(layout_id: uuid.UUID, member: Admin, services: ServicesDep) -> LayoutView:
    return await lifecycle.change_layout_status(
        services,
        organization_id=member.organization_id,
        layout_id=layout_id,
        target=LayoutStatus.ACTIVE,
    )


@router.post("/layouts/{layout_id}/archive", response_model=LayoutOut)
async def archive_layout(layout_id: uuid.UUID, member: Admin, services: ServicesDep) -> LayoutView:
    return await lifecycle.change_layout_status(
        services,
        organization_id=member.organization_id,
        layout_id=layout_id,
        target=LayoutStatus.ARCHIVED,
    )


@router.post("/layouts/{layout_id}/copy", status_code=201, response_model=LayoutOut)
async def copy_layout(layout_id: uuid.UUID, member: Admin, services: ServicesDep) -> LayoutView:
    """A new draft version with the same structure."""
    return await lifecycle.copy_layout(
        services, organization_id=member.organization_id, layout_id=layout_id
    )


@router.get("/layouts/{layout_id}/sections", response_model=Page[SectionOut])
async def layout_sections(
    layout_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[SectionView]:
    """In the layout document's order, each with its blocks."""
    return await listing.layout_sections(
        services,
        organization_id=member.organization_id,
        layout_id=layout_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/layouts/{layout_id}/seats", response_model=Page[SeatOut])
async def layout_seats(
    layout_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: SeatLimit = 1_000,
) -> ListPage[SeatView]:
    return await listing.layout_seats(
        services,
        organization_id=member.organization_id,
        layout_id=layout_id,
        cursor=cursor,
        limit=limit,
    )
