"""Events: create on a layout, move through the lifecycle, ticket types, blocked seats."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.access import stream_token
from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.domain.events.ticket_type import TicketTypeSpec
from voelgoedevents.entrypoints.api.auth import Admin, Member, Reader, ServicesDep
from voelgoedevents.entrypoints.api.params import ActiveOnly, Cursor, Limit
from voelgoedevents.entrypoints.api.schemas import (
    ChangeOut,
    EventOut,
    HoldOut,
    OrderOut,
    Page,
    Reschedule,
    SeatLabelOut,
    SeatsBody,
    StreamToken,
    TicketTypeOut,
)
from voelgoedevents.workflows import listing
from voelgoedevents.workflows.events import event_status
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.events.ticket_types import create_ticket_type
from voelgoedevents.workflows.listing import Page as ListPage
from voelgoedevents.workflows.ticketing import block_seats
from voelgoedevents.workflows.ticketing.inventory_view import ChangeView
from voelgoedevents.workflows.ticketing.views import HoldView, OrderView, SeatLabel
from voelgoedevents.workflows.views import EventView, TicketTypeView

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    status_code=201,
    response_model=EventOut,
    responses={404: {"description": "No such venue or layout (or another organisation's)"}},
)
async def create(body: EventSpec, member: Admin, services: ServicesDep) -> EventView:
    """A draft event; on a layout it gets its own seat inventory."""
    return await create_event(services, organization_id=member.organization_id, spec=body)


@router.get("/events", response_model=Page[EventOut])
async def list_events(
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[EventView]:
    return await listing.list_events(
        services, organization_id=member.organization_id, cursor=cursor, limit=limit
    )


@router.get("/events/{event_id}", response_model=EventOut)
async def get_event(event_id: uuid.UUID, member: Reader, services: ServicesDep) -> EventView:
    return await event_status.get_event(
        services, organization_id=member.organization_id, event_id=event_id
    )


async def _move(
    services: Services, member: Member, event_id: uuid.UUID, target: EventStatus
) -> EventView:
    return await event_status.change_event_status(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        target=target,
        actor=member.actor,
    )


@router.post("/events/{event_id}/publish", response_model=EventOut)
async def publish(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    return await _move(services, member, event_id, EventStatus.PUBLISHED)


@router.post("/events/{event_id}/go-live", response_model=EventOut)
async def go_live(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    return await _move(services, member, event_id, EventStatus.LIVE)


@router.post("/events/{event_id}/postpone", response_model=EventOut)
async def postpone(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    """No new holds and no checkout until rescheduled; existing holds stay."""
    return await _move(services, member, event_id, EventStatus.POSTPONED)


@router.post("/events/{event_id}/reschedule", response_model=EventOut)
async def reschedule(
    event_id: uuid.UUID, body: Reschedule, member: Admin, services: ServicesDep
) -> EventView:
    return await event_status.reschedule_event(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        start_at=body.start_at,
        end_at=body.end_at,
        sale_start_at=body.sale_start_at,
        sale_end_at=body.sale_end_at,
    )


@router.post("/events/{event_id}/cancel", response_model=EventOut)
async def cancel(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    """Every active hold expires at once; no new holds."""
    return await _move(services, member, event_id, EventStatus.CANCELLED)


@router.post("/events/{event_id}/end", response_model=EventOut)
async def end(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    return await _move(services, member, event_id, EventStatus.ENDED)


@router.post("/events/{event_id}/archive", response_model=EventOut)
async def archive(event_id: uuid.UUID, member: Admin, services: ServicesDep) -> EventView:
    return await _move(services, member, event_id, EventStatus.ARCHIVED)


@router.post("/events/{event_id}/ticket-types", status_code=201, response_model=TicketTypeOut)
async def add_ticket_type(
    event_id: uuid.UUID, body: TicketTypeSpec, member: Admin, services: ServicesDep
) -> TicketTypeView:
    return await create_ticket_type(
        services, organization_id=member.organization_id, event_id=event_id, spec=body
    )


@router.get("/events/{event_id}/ticket-types", response_model=Page[TicketTypeOut])
async def ticket_types(
    event_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[TicketTypeView]:
    return await listing.list_ticket_types(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        cursor=cursor,
        limit=limit,
    )


@router.post("/events/{event_id}/seats/block", response_model=list[SeatLabelOut])
async def block(
    event_id: uuid.UUID, body: SeatsBody, member: Admin, services: ServicesDep
) -> list[SeatLabel]:
    """House seats, kills: only available seats can be blocked."""
    return await block_seats.block_seats(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        seat_ids=body.seat_ids,
        actor=member.actor,
        reason=body.reason or "blocked",
    )


@router.post("/events/{event_id}/seats/unblock", response_model=list[SeatLabelOut])
async def unblock(
    event_id: uuid.UUID, body: SeatsBody, member: Admin, services: ServicesDep
) -> list[SeatLabel]:
    return await block_seats.unblock_seats(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        seat_ids=body.seat_ids,
        actor=member.actor,
        reason=body.reason or "unblocked",
    )


@router.get("/events/{event_id}/seats/{seat_id}/history", response_model=Page[ChangeOut])
async def seat_history(
    event_id: uuid.UUID,
    seat_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[ChangeView]:
    """Every change of the seat in this event, oldest first. A seat that is not in the event's
    layout is not found, like any unknown id (an empty history would say it exists)."""
    context = await services.seat_maps.event(member.organization_id, event_id)
    if context.seat_map is None or seat_id not in context.seat_map.seats:
        raise NotFound("seat not found in this event's layout", what="seat", id=str(seat_id))
    return await listing.change_history(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        seat_id=seat_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/events/{event_id}/holds", response_model=Page[HoldOut])
async def event_holds(
    event_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    active: ActiveOnly = True,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[HoldView]:
    return await listing.list_holds(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        active_only=active,
        cursor=cursor,
        limit=limit,
    )


@router.get("/events/{event_id}/orders", response_model=Page[OrderOut])
async def event_orders(
    event_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[OrderView]:
    return await listing.list_orders(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/events/{event_id}/stream-token", response_model=StreamToken)
async def public_stream_token(
    event_id: uuid.UUID, member: Reader, services: ServicesDep, request: Request
) -> StreamToken:
    """A token that lets anyone (a public seat map page) read this event's seat stream."""
    await event_status.get_event(
        services, organization_id=member.organization_id, event_id=event_id
    )
    token = stream_token(services.settings.api.secret, member.organization_id, event_id)
    url = request.url_for("seat_stream", event_id=event_id).include_query_params(token=token)
    return StreamToken(token=token, stream_url=str(url))
