"""Holds (reserve, extend, release, sell) and orders (cancel, refund)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header

from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.entrypoints.api.auth import Admin, Reader, Seller, ServicesDep
from voelgoedevents.entrypoints.api.params import Cursor, Limit
from voelgoedevents.entrypoints.api.schemas import (
    ChangeOut,
    HoldCreate,
    HoldOut,
    HoldRelease,
    OrderCancel,
    OrderOut,
    Page,
)
from voelgoedevents.workflows import listing
from voelgoedevents.workflows.listing import Page as ListPage
from voelgoedevents.workflows.ticketing import extend_hold, inventory_view, orders, release_seat
from voelgoedevents.workflows.ticketing.inventory_view import ChangeView
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold
from voelgoedevents.workflows.ticketing.views import HoldView, OrderView

router = APIRouter(tags=["holds and orders"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Makes a retry safe: it gets the first answer.",
    ),
]


@router.post("/events/{event_id}/holds", status_code=201, response_model=HoldOut)
async def reserve(
    event_id: uuid.UUID,
    body: HoldCreate,
    member: Seller,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> HoldView:
    """Hold seats (or standing places) for a buyer: all of them under one hold, or none and a
    `seat_unavailable` problem naming each seat and why."""
    request = ReserveRequest(
        seat_ids=body.seat_ids,
        section_id=body.section_id,
        quantity=body.quantity,
        holder_ref=body.holder_ref,
        source=body.source,
        # Scoped to the API key, like the HTTP-level record: two keys never share a hold.
        idempotency_key=_scoped(member.caller.key_id, idempotency_key),
    )
    return await reserve_seat(
        services,
        organization_id=member.organization_id,
        event_id=event_id,
        request=request,
        actor=member.actor,
    )


def _scoped(key_id: uuid.UUID, idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    return f"{key_id}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"


@router.get("/holds/{hold_id}", response_model=HoldOut)
async def get_hold(hold_id: uuid.UUID, member: Reader, services: ServicesDep) -> HoldView:
    return await inventory_view.get_hold(
        services, organization_id=member.organization_id, hold_id=hold_id
    )


@router.post("/holds/{hold_id}/extend", response_model=HoldOut)
async def extend(hold_id: uuid.UUID, member: Seller, services: ServicesDep) -> HoldView:
    """A fresh hold time, up to the policy's cap on a hold's whole life."""
    return await extend_hold.extend_hold(
        services, organization_id=member.organization_id, hold_id=hold_id
    )


@router.post("/holds/{hold_id}/release", response_model=HoldOut)
async def release(
    hold_id: uuid.UUID,
    member: Seller,
    services: ServicesDep,
    body: Annotated[HoldRelease | None, Body()] = None,
) -> HoldView:
    """All of the hold, or the seats or places named. Releasing twice changes nothing."""
    part = body or HoldRelease()
    return await release_seat.release_seat(
        services,
        organization_id=member.organization_id,
        hold_id=hold_id,
        seat_ids=part.seat_ids,
        quantity=part.quantity,
        actor=member.actor,
    )


@router.post("/holds/{hold_id}/order", status_code=201, response_model=OrderOut)
async def sell(hold_id: uuid.UUID, member: Seller, services: ServicesDep) -> OrderView:
    """The hold becomes an order; its seats are sold. Selling twice answers the same order."""
    return await sell_hold(
        services, organization_id=member.organization_id, hold_id=hold_id, actor=member.actor
    )


@router.get("/holds/{hold_id}/history", response_model=Page[ChangeOut])
async def hold_history(
    hold_id: uuid.UUID,
    member: Reader,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ListPage[ChangeView]:
    """Every change of the hold's seats and places, oldest first."""
    await inventory_view.get_hold(services, organization_id=member.organization_id, hold_id=hold_id)
    return await listing.change_history(
        services,
        organization_id=member.organization_id,
        hold_id=hold_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(order_id: uuid.UUID, member: Reader, services: ServicesDep) -> OrderView:
    return await orders.get_order(
        services, organization_id=member.organization_id, order_id=order_id
    )


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    order_id: uuid.UUID, body: OrderCancel, member: Admin, services: ServicesDep
) -> OrderView:
    """Cancel or refund (an admin act): the seats become available again."""
    return await orders.cancel_order(
        services,
        organization_id=member.organization_id,
        order_id=order_id,
        refund=body.refund,
        actor=member.actor,
        reason=body.reason,
    )
